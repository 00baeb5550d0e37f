import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

/**
 * The undici dispatcher for MinT requests, built from what corporate networks configure:
 * VS Code's `http.proxy`, `http.proxyStrictSSL`, `http.noProxy`, then the HTTPS_PROXY /
 * HTTP_PROXY / NO_PROXY environment, plus extra CAs from NODE_EXTRA_CA_CERTS. The extension
 * host's Node may have been started before that variable was set, so the file is read here
 * rather than trusted to Node's start-up.
 */
export interface NetworkConfig {
  /** VS Code's http.proxy: used for both schemes, as VS Code itself does. */
  proxy: string | undefined;
  /** HTTP_PROXY / HTTPS_PROXY from the environment, per scheme, when http.proxy is unset. */
  envProxy: { http: string | undefined; https: string | undefined };
  strictSSL: boolean;
  noProxy: string[];
  extraCaFile: string | undefined;
}

export function readNetworkConfig(): NetworkConfig {
  const http = vscode.workspace.getConfiguration('http');
  const env = process.env;
  const proxy = http.get<string>('proxy')?.trim() || undefined;
  const envProxy = { http: env.HTTP_PROXY || env.http_proxy || undefined, https: env.HTTPS_PROXY || env.https_proxy || undefined };
  const noProxy = [...(http.get<string[]>('noProxy') ?? []), ...(env.NO_PROXY ?? env.no_proxy ?? '').split(',')]
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    proxy,
    envProxy,
    strictSSL: http.get<boolean>('proxyStrictSSL', true),
    noProxy,
    extraCaFile: env.NODE_EXTRA_CA_CERTS || undefined,
  };
}

/** Undefined when nothing is configured: the client then uses undici's default agent. */
export function buildDispatcher(cfg: NetworkConfig): { dispatcher: Dispatcher | undefined; describe: string } {
  const tls: { rejectUnauthorized?: boolean; ca?: string[] } = {};
  const notes: string[] = [];
  if (!cfg.strictSSL) {
    tls.rejectUnauthorized = false;
    notes.push('certificate checks off (http.proxyStrictSSL = false)');
  }
  if (cfg.extraCaFile) {
    try {
      tls.ca = [...rootCertificates, readFileSync(cfg.extraCaFile, 'utf8')];
      notes.push(`extra CAs from ${cfg.extraCaFile}`);
    } catch (e) {
      notes.push(`NODE_EXTRA_CA_CERTS=${cfg.extraCaFile} unreadable (${(e as Error).message}); using the default CAs`);
    }
  }
  const httpProxy = cfg.proxy ?? cfg.envProxy.http;
  // Without its own HTTPS proxy, https traffic takes the HTTP one (undici's and curl's rule).
  const httpsProxy = cfg.proxy ?? cfg.envProxy.https;
  if (httpProxy || httpsProxy) {
    const dispatcher = new EnvHttpProxyAgent({
      httpProxy: httpProxy ?? '',
      ...(httpsProxy ? { httpsProxy } : {}),
      noProxy: cfg.noProxy.join(','),
      requestTls: tls,
      proxyTls: tls,
    });
    const via = cfg.proxy
      ? `proxy ${redactProxyAuth(cfg.proxy)} (http.proxy)`
      : `proxy from the environment: http ${httpProxy ? redactProxyAuth(httpProxy) : 'none'}, https ${httpsProxy ? redactProxyAuth(httpsProxy) : 'none'}`;
    return {
      dispatcher,
      describe: [via, cfg.noProxy.length ? `no proxy for ${cfg.noProxy.join(',')}` : '', ...notes].filter(Boolean).join('; '),
    };
  }
  if (tls.ca || tls.rejectUnauthorized === false) {
    return { dispatcher: new Agent({ connect: tls }), describe: ['direct', ...notes].join('; ') };
  }
  return { dispatcher: undefined, describe: 'direct' };
}

/** Proxy URLs may embed credentials; those never reach the log. */
function redactProxyAuth(proxy: string): string {
  try {
    const u = new URL(proxy);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable proxy URL)';
  }
}
