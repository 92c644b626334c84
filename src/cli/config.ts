import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { CliError, EXIT } from './errors.js';

/** The process config (VOC_CONFIG or config/voc.yaml, env overrides); an invalid one exits with code 2. */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(EXIT.config, err.message);
    throw err;
  }
}
