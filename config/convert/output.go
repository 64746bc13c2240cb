package convert

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// The types below mirror the parts of config.Relayer and config.Miner a conversion fills. They
// exist because config.Secret marshals as "<secret>" (so a loaded config never leaks one),
// while a converted file must carry the operator's backend URLs and passwords. Keys left empty
// are omitted and so take this project's defaults; the result is checked with the strict
// loaders, which catches any drift between these types and package config.

type relayerOut struct {
	ListenAddr            string                 `yaml:"listen_addr,omitempty"`
	Redis                 redisOut               `yaml:"redis"`
	PocketNode            pocketNodeOut          `yaml:"pocket_node"`
	Keys                  keysOut                `yaml:"keys"`
	Metrics               *metricsOut            `yaml:"metrics,omitempty"`
	Pprof                 *pprofOut              `yaml:"pprof,omitempty"`
	DefaultValidationMode string                 `yaml:"default_validation_mode,omitempty"`
	DefaultMaxBodyBytes   string                 `yaml:"default_max_body_bytes,omitempty"`
	Meter                 *meterOut              `yaml:"meter,omitempty"`
	Services              map[string]*serviceOut `yaml:"services"`
}

type minerOut struct {
	Redis      redisOut      `yaml:"redis"`
	PocketNode pocketNodeOut `yaml:"pocket_node"`
	Keys       keysOut       `yaml:"keys"`
	Metrics    *metricsOut   `yaml:"metrics,omitempty"`
	Health     *healthOut    `yaml:"health,omitempty"`
}

type healthOut struct {
	Addr string `yaml:"addr"`
}

type redisOut struct {
	URL string `yaml:"url"`
}

type pocketNodeOut struct {
	RPCURL       string `yaml:"rpc_url,omitempty"`
	GRPCAddr     string `yaml:"grpc_addr,omitempty"`
	GRPCInsecure bool   `yaml:"grpc_insecure,omitempty"`
}

type keysOut struct {
	Keyring *keyringOut `yaml:"keyring,omitempty"`
}

type keyringOut struct {
	Backend    string   `yaml:"backend"`
	Dir        string   `yaml:"dir,omitempty"`
	Passphrase string   `yaml:"passphrase,omitempty"`
	KeyNames   []string `yaml:"key_names"`
}

type metricsOut struct {
	Enabled bool   `yaml:"enabled"`
	Addr    string `yaml:"addr,omitempty"`
}

type pprofOut struct {
	Enabled bool   `yaml:"enabled"`
	Addr    string `yaml:"addr,omitempty"`
}

type meterOut struct {
	Enabled bool `yaml:"enabled"`
}

type serviceOut struct {
	MaxBodyBytes   string                 `yaml:"max_body_bytes,omitempty"`
	DefaultBackend string                 `yaml:"default_backend,omitempty"`
	Backends       map[string]*backendOut `yaml:"backends"`
}

type backendOut struct {
	URL       string            `yaml:"url"`
	Headers   map[string]string `yaml:"headers,omitempty"`
	BasicAuth *basicAuthOut     `yaml:"basic_auth,omitempty"`
	Timeout   string            `yaml:"timeout,omitempty"`
}

type basicAuthOut struct {
	Username string `yaml:"username"`
	Password string `yaml:"password,omitempty"`
}

// encode writes v as YAML under a header comment naming where it came from.
func encode(header string, v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode converted config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode converted config: %w", err)
	}
	return b.Bytes(), nil
}

// checkRelayer loads the converted relayer config with the relayer's own loader. A file
// keyring's passphrase is written as an environment reference; the check substitutes the test
// backend so it does not depend on the converting shell's environment.
func checkRelayer(r relayerOut) error {
	r.Keys = checkableKeys(r.Keys)
	b, err := encode("", r)
	if err != nil {
		return err
	}
	if _, err := config.ParseRelayer("converted relayer config", b); err != nil {
		return fmt.Errorf("converted relayer config does not validate (a converter bug, please report it): %w", err)
	}
	return nil
}

// checkMiner is checkRelayer for the miner config.
func checkMiner(m minerOut) error {
	m.Keys = checkableKeys(m.Keys)
	b, err := encode("", m)
	if err != nil {
		return err
	}
	if _, err := config.ParseMiner("converted miner config", b); err != nil {
		return fmt.Errorf("converted miner config does not validate (a converter bug, please report it): %w", err)
	}
	return nil
}

func checkableKeys(k keysOut) keysOut {
	if k.Keyring != nil && k.Keyring.Backend == "file" {
		kr := *k.Keyring
		kr.Backend, kr.Passphrase = "test", ""
		k.Keyring = &kr
	}
	return k
}
