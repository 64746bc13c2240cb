// Package convert turns another relay miner's config file into this project's relayer and
// miner configs, for operators switching over.
//
// # Sources
//
// Poktroll reads the YAML of poktroll v0.1.35's RelayMiner (`pocketd relayminer start
// --config`), with the key names and defaults of its pkg/relayer/config. HA reads the HA relay
// miner's relayer or miner files; their key set is not documented to this project, so every key
// of such a file is reported as not converted and nothing is written.
//
// # Guarantees
//
// Every key of the input is either mapped or listed in Result.Skipped with the reason, so an
// operator reads in one table what did not carry over. A service, a backend and a signing key
// name are never dropped without an entry there. The configs returned are checked with
// config.ParseRelayer and config.ParseMiner, the loaders the commands use, before they are
// returned.
package convert
