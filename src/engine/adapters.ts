// The real AWS and PostgreSQL adapters, loaded on first use only: a plan whose steps never call AWS
// (or never touch a database) does not pay for importing the SDK or pg. The engine itself never
// imports @aws-sdk/* or pg; these wrappers import the project's own adapter modules dynamically.
import type { AwsApi } from '../aws/api.js';
import type { DbConnector } from '../db/api.js';

export interface LazyAwsOptions {
  region?: string;
  profile?: string;
  env?: Record<string, string | undefined>;
}

export function lazyAwsApi(options: LazyAwsOptions): AwsApi & { close(): void } {
  let api: Promise<AwsApi & { destroy?(): void }> | undefined;
  let loaded: (AwsApi & { destroy?(): void }) | undefined;
  return {
    async send(service, operation, input, callOptions) {
      api ??= import('../aws/sdk-api.js').then((m) => (loaded = m.createAwsApi(options)));
      return (await api).send(service, operation, input, callOptions);
    },
    async preload(service, preloadOptions) {
      api ??= import('../aws/sdk-api.js').then((m) => (loaded = m.createAwsApi(options)));
      await (await api).preload?.(service, preloadOptions);
    },
    close() {
      loaded?.destroy?.();
    },
  };
}

export function lazyDbConnector(): DbConnector {
  let connector: Promise<DbConnector> | undefined;
  return {
    async connect(connection, options) {
      connector ??= import('../db/pg-connector.js').then((m) => m.createPgConnector());
      return (await connector).connect(connection, options);
    },
  };
}
