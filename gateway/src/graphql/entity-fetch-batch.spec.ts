import { parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { batchEntityFetches, isBatchableEntityFetch, type EntityFetch } from './entity-fetch-batch';

const PRODUCT_NAMES = 'query Q__products__1($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}';
const PRODUCT_PRICES =
  'query Q__products__2($representations:[_Any!]!,$currency:String){_entities(representations:$representations){...on Product{...P}}} fragment P on Product{price(currency:$currency)}';
const product = (upc: string) => ({ __typename: 'Product', upc });

describe('isBatchableEntityFetch', () => {
  it('accepts a query whose only field is _entities with a representations list', () => {
    expect(isBatchableEntityFetch({ query: PRODUCT_NAMES, variables: { representations: [] } })).toBe(true);
  });

  it('refuses root fetches, mutations, aliased or extra fields, and missing representations', () => {
    expect(isBatchableEntityFetch({ query: '{ topProducts { upc } }', variables: {} })).toBe(false);
    expect(isBatchableEntityFetch({ query: PRODUCT_NAMES, variables: {} })).toBe(false);
    expect(isBatchableEntityFetch({ query: 'mutation($representations:[_Any!]!){_entities(representations:$representations){__typename}}', variables: { representations: [] } })).toBe(false);
    expect(isBatchableEntityFetch({ query: 'query($representations:[_Any!]!){e:_entities(representations:$representations){__typename}}', variables: { representations: [] } })).toBe(false);
    expect(isBatchableEntityFetch({ query: 'query($representations:[_Any!]!){_entities(representations:$representations){__typename} me {id}}', variables: { representations: [] } })).toBe(false);
    expect(isBatchableEntityFetch({ query: 'not graphql', variables: { representations: [] } })).toBe(false);
  });
});

describe('batchEntityFetches', () => {
  it('sends one fetch alone unchanged but for repeated representations, and hands each position its entity', () => {
    const batch = batchEntityFetches([{ query: PRODUCT_NAMES, operationName: 'Q__products__1', variables: { representations: [product('1'), product('2'), product('1')] } }]);
    expect(batch.query).toBe(PRODUCT_NAMES);
    expect(batch.variables).toEqual({ representations: [product('1'), product('2')] });
    const [answer] = batch.split({ data: { _entities: [{ name: 'Table' }, { name: 'Couch' }] } });
    expect(answer).toEqual({ data: { _entities: [{ name: 'Table' }, { name: 'Couch' }, { name: 'Table' }] } });
  });

  it('sends a representation once only when it is equal by value: type, key name, key value and its type all count', () => {
    const representations = [
      product('1'),
      { __typename: 'Product', upc: 1 },
      { __typename: 'Product', sku: '1' },
      { __typename: 'Item', upc: '1' },
      { __typename: 'Product', upc: '1', variant: { size: 'M' } },
      { __typename: 'Product', upc: '1', variant: { size: 'L' } },
      { __typename: 'Product', upc: '1', variant: { size: 'M' } },
      { __typename: 'Product', upc: 1 },
      product('1'),
    ];
    const batch = batchEntityFetches([{ query: PRODUCT_NAMES, variables: { representations } }]);
    expect(batch.variables.representations).toEqual(representations.slice(0, 6));
    const entities = representations.slice(0, 6).map((_, index) => ({ name: `entity ${index}` }));
    const [answer] = batch.split({ data: { _entities: entities } });
    expect(answer!.data!._entities).toEqual([...entities, entities[4], entities[1], entities[0]]);
  });

  it('lets fetches with the same query share one _entities field, each representation sent once', () => {
    const fetches: EntityFetch[] = [
      { query: PRODUCT_NAMES, variables: { representations: [product('1'), product('2')] } },
      { query: PRODUCT_NAMES, variables: { representations: [product('2'), product('3')] } },
    ];
    const batch = batchEntityFetches(fetches);
    expect(batch.query).toBe(PRODUCT_NAMES);
    expect(batch.variables).toEqual({ representations: [product('1'), product('2'), product('3')] });
    const answers = batch.split({ data: { _entities: [{ name: 'Table' }, { name: 'Couch' }, { name: 'Glass' }] } });
    expect(answers).toEqual([{ data: { _entities: [{ name: 'Table' }, { name: 'Couch' }] } }, { data: { _entities: [{ name: 'Couch' }, { name: 'Glass' }] } }]);
  });

  it('merges different queries into aliased fields with their own variables and fragments', () => {
    const batch = batchEntityFetches([
      { query: PRODUCT_NAMES, operationName: 'Q__products__1', variables: { representations: [product('1')] } },
      { query: PRODUCT_PRICES, operationName: 'Q__products__2', variables: { representations: [product('2')], currency: 'EUR' } },
    ]);
    expect(print(parse(batch.query))).toBe(
      print(
        parse(
          'query Q__products__1($representations_0:[_Any!]!,$representations_1:[_Any!]!,$currency_1:String){' +
            '_0_entities:_entities(representations:$representations_0){...on Product{name}} ' +
            '_1_entities:_entities(representations:$representations_1){...on Product{...P_1}}} fragment P_1 on Product{price(currency:$currency_1)}',
        ),
      ),
    );
    expect(batch.operationName).toBe('Q__products__1');
    expect(batch.variables).toEqual({ representations_0: [product('1')], representations_1: [product('2')], currency_1: 'EUR' });
    const answers = batch.split({ data: { _0_entities: [{ name: 'Table' }], _1_entities: [{ price: 1299 }] } });
    expect(answers).toEqual([{ data: { _entities: [{ name: 'Table' }] } }, { data: { _entities: [{ price: 1299 }] } }]);
  });

  it('gives each error to the fetch whose entity it concerns, at that fetch\'s own index; others to the first fetch', () => {
    const batch = batchEntityFetches([
      { query: PRODUCT_NAMES, variables: { representations: [product('1')] } },
      { query: PRODUCT_PRICES, variables: { representations: [product('9'), product('2')] } },
    ]);
    const answers = batch.split({
      data: { _0_entities: [{ name: 'Table' }], _1_entities: [{ price: 1 }, null] },
      errors: [
        { message: 'no such product', path: ['_1_entities', 1, 'price'] },
        { message: 'subgraph warning' },
      ],
    });
    expect(answers[0]!.errors).toEqual([{ message: 'subgraph warning' }]);
    expect(answers[1]!.errors).toEqual([{ message: 'no such product', path: ['_entities', 1, 'price'] }]);
    expect(answers[1]!.data).toEqual({ _entities: [{ price: 1 }, null] });
  });

  it('passes a null data (the whole request failed in the subgraph) to every fetch', () => {
    const batch = batchEntityFetches([
      { query: PRODUCT_NAMES, variables: { representations: [product('1')] } },
      { query: PRODUCT_PRICES, variables: { representations: [product('2')] } },
    ]);
    const answers = batch.split({ data: null, errors: [{ message: 'boom' }] });
    expect(answers.map((answer) => answer.data)).toEqual([null, null]);
    expect(answers[0]!.errors).toEqual([{ message: 'boom' }]);
  });
});
