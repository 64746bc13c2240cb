// Package config holds the relayer and miner configuration: the types operators write in YAML,
// their defaults, strict decoding, and validation that names the key.
//
// # Loading
// LoadRelayer and LoadMiner start from DefaultRelayer/DefaultMiner, decode the file with
// yaml.v3 in strict mode (an unknown or duplicate key is an error with its line), fill the
// per-entry defaults of map entries (services), then validate. Every error names the key path
// and, when the key is in the file, its line:
//
//	config.yaml: services.eth.backends.jsonrpc.timout (line 12): unknown key
//	config.yaml: services.eth.backends.jsonrpc.url (line 11): want an absolute http(s) URL
//
// An empty file means "all defaults" (and then fails validation where a value is required).
//
// # Defaults
// Every default is a named constant or value in defaults.go, and nowhere else. The README's
// config reference lists them.
//
// # Secrets
// Fields of type Secret (passwords, tokens, URLs that may carry credentials) may be written as
// "${VAR}" to read them from the environment; an unset variable is an error. A Secret prints as
// "<secret>" in logs, summaries and YAML output.
//
// # What this package does not do
// It builds no clients, pools or metrics. Consumers turn these plain values into runtime objects
// once, at startup.
package config
