/**
 * Where S3 credentials, region and endpoint come from, in the order the AWS CLI and SDKs use: the
 * environment, then the shared credentials and config files for AWS_PROFILE (instance metadata
 * and SSO are not read). Files are INI: `[name]` sections of `key = value` lines; in the config file
 * a profile other than `default` is `[profile name]`.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GrtError } from '../../errors.js';
import type { AwsCredentials } from './sigv4.js';

/** A shared config or credentials file larger than this is not an AWS file: refused, not read whole. */
export const MAX_AWS_FILE_BYTES = 1024 * 1024;
/** The region signed when none is configured: S3's own default. */
export const DEFAULT_REGION = 'us-east-1';

export interface AwsSettings {
  credentials: AwsCredentials;
  region: string;
  /** An S3-compatible endpoint (MinIO, Ceph RGW, …): addressed path-style. */
  endpoint: URL | undefined;
}

type Env = Record<string, string | undefined>;

/** The sections of an INI file: section name → key → value (keys lower-cased). */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      current = sections.get(header[1]!) ?? new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return sections;
}

async function readIni(path: string): Promise<Map<string, Map<string, string>>> {
  const text = await readFile(path).catch(() => undefined);
  if (text === undefined) return new Map();
  if (text.length > MAX_AWS_FILE_BYTES) throw new GrtError('LIMIT_EXCEEDED', `${path} is over ${MAX_AWS_FILE_BYTES} bytes`, { path });
  return parseIni(text.toString('utf8'));
}

/** Credentials, region and endpoint for S3 from `env` and the shared files; USAGE when no credentials are found. */
export async function loadAwsSettings(env: Env, endpointOption?: string): Promise<AwsSettings> {
  const profile = env.AWS_PROFILE ?? env.AWS_DEFAULT_PROFILE ?? 'default';
  const home = env.HOME ?? homedir();
  const credentialsFile = await readIni(env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials'));
  const configFile = await readIni(env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config'));
  const fromCredentials = credentialsFile.get(profile);
  const fromConfig = configFile.get(profile === 'default' ? 'default' : `profile ${profile}`);
  const pick = (key: string): string | undefined => fromCredentials?.get(key) ?? fromConfig?.get(key);

  let credentials: AwsCredentials | undefined;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
  } else {
    const id = pick('aws_access_key_id');
    const secret = pick('aws_secret_access_key');
    if (id && secret) credentials = { accessKeyId: id, secretAccessKey: secret, sessionToken: pick('aws_session_token') };
  }
  if (!credentials) {
    throw new GrtError('USAGE', `no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile ${JSON.stringify(profile)} in the shared credentials file`);
  }
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? fromConfig?.get('region') ?? DEFAULT_REGION;
  const endpointText = endpointOption ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? fromConfig?.get('endpoint_url');
  let endpoint: URL | undefined;
  if (endpointText !== undefined) {
    try {
      endpoint = new URL(endpointText);
    } catch {
      throw new GrtError('USAGE', `--endpoint is not a URL: ${JSON.stringify(endpointText)}`);
    }
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new GrtError('USAGE', `--endpoint must be http(s): ${JSON.stringify(endpointText)}`);
  }
  return { credentials, region, endpoint };
}
