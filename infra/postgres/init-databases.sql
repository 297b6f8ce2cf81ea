-- One database per service (docs/architecture.md, section 2); each service applies its own migrations.
CREATE DATABASE malet_auth;
CREATE DATABASE malet_users;
CREATE DATABASE malet_organizations;
CREATE DATABASE malet_content_feed;
CREATE DATABASE malet_scim;
