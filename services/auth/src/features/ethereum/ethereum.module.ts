import type { AuthCore } from '../../core/core';
import type { AuthModule } from '../../core/module';
import type { EthereumConfig } from './ethereum.config';
import { createEthereumRepository } from './ethereum.repository';
import { ethereumRoutes } from './ethereum.routes';
import { createEthereumSignIn } from './ethereum.service';

/** Sign-In with Ethereum (seed 001's MetaMask endpoints, EIP-4361); addresses are linked identities (core). */
export function createEthereumModule(core: AuthCore, config: EthereumConfig): AuthModule {
  const nonces = createEthereumRepository(core.db);
  const siwe = createEthereumSignIn({
    nonces,
    linkedIdentities: core.linkedIdentities,
    completeSignIn: core.completeSignIn,
    audit: core.audit,
    clock: core.clock,
    config,
  });
  return {
    name: 'ethereum',
    routes: ethereumRoutes(core, siwe),
    jobs: [
      {
        name: 'purge expired SIWE nonces',
        everyMs: 10 * 60_000,
        run: () => nonces.purgeExpired(new Date(core.clock.now().getTime() - 86_400_000)),
      },
    ],
  };
}
