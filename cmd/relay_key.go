package cmd

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/shannon-ops/pocket-relay-miner/relayer/client"
)

// keyFlags are the signing key options, of which exactly one is given.
var keyFlags = []string{"--app-key-file", "--gateway-key-file", "--key-name", "--app-key-hex", "--gateway-key-hex"}

// key returns the signing key of the one key option given.
func (f *relayFlags) key() (*client.Key, error) {
	var given []string
	for i, v := range []string{f.appKeyFile, f.gwKeyFile, f.keyName, f.appKey, f.gwKey} {
		if v != "" {
			given = append(given, keyFlags[i])
		}
	}
	if len(given) != 1 {
		got := "none"
		if len(given) > 1 {
			got = strings.Join(given, " and ")
		}
		return nil, fmt.Errorf("give exactly one signing key, one of %s (got %s)", strings.Join(keyFlags, ", "), got)
	}
	if f.passEnv != "" && (f.keyName == "" || f.krBackend != "file") {
		return nil, errors.New("--keyring-passphrase-env is for a --key-name in a --keyring-backend file")
	}
	var k *client.Key
	var err error
	switch given[0] {
	case "--app-key-file":
		k, err = client.KeyFromFile(f.appKeyFile)
	case "--app-key-hex":
		k, err = client.KeyFromHex(f.appKey)
	case "--gateway-key-file":
		k, err = client.KeyFromFile(f.gwKeyFile)
	case "--gateway-key-hex":
		k, err = client.KeyFromHex(f.gwKey)
	default:
		return f.keyringKey()
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", given[0], err)
	case strings.HasPrefix(given[0], "--app-") && k.Address() != f.app:
		return nil, fmt.Errorf("%s is the key of %s, not of --app %s", given[0], k.Address(), f.app)
	}
	return k, nil
}

// keyringKey reads --key-name from the keyring, with the passphrase of --keyring-passphrase-env
// when it is given.
func (f *relayFlags) keyringKey() (*client.Key, error) {
	o := client.KeyringOptions{Dir: f.krDir, Backend: f.krBackend, Name: f.keyName}
	if f.passEnv != "" {
		pass, err := envPassphrase(f.passEnv)
		if err != nil {
			return nil, err
		}
		o.Passphrase = pass
	}
	return client.KeyFromKeyring(o)
}

// envPassphrase reads the file keyring's passphrase from the environment variable name.
func envPassphrase(name string) (string, error) {
	v, ok := os.LookupEnv(name)
	switch {
	case !ok:
		return "", fmt.Errorf("--keyring-passphrase-env %s: the variable is not set", name)
	case v == "":
		return "", fmt.Errorf("--keyring-passphrase-env %s: the variable is empty", name)
	}
	return v, nil
}
