package cmd

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cosmossecp "github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

const relayTestPassphrase = "correct horse battery staple"

// relayTestKey derives a hex private key from seed, and its address computed here with
// cosmos-sdk rather than by the code under test.
func relayTestKey(t *testing.T, seed string) (keyHex, addr string) {
	t.Helper()
	sum := sha256.Sum256([]byte(seed))
	priv := &cosmossecp.PrivKey{Key: sum[:]}
	addr, err := bech32.ConvertAndEncode("pokt", priv.PubKey().Address())
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(sum[:]), addr
}

// writeKeyFile writes content to a file of the given mode (set with chmod, so the umask does
// not matter) and returns its path.
func writeKeyFile(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// runRelayKey runs `relay jsonrpc` with the given key flags; every case here fails on its flags,
// before any chain is contacted.
func runRelayKey(t *testing.T, app string, keyArgs ...string) error {
	t.Helper()
	args := append([]string{"relay", "jsonrpc", "--app", app, "--service", "svc", "--node", "http://127.0.0.1:1",
		"--grpc-addr", "127.0.0.1:1", "--grpc-insecure"}, keyArgs...)
	_, err := run(t, args...)
	if err == nil {
		t.Fatalf("relay %v succeeded", keyArgs)
	}
	var ue usageError
	if !errors.As(err, &ue) {
		t.Errorf("error %q is not a usage error (exit status 2)", err)
	}
	return err
}

func TestRelayKeyFileSameAsHex(t *testing.T) {
	keyHex, want := relayTestKey(t, "app")
	for _, tc := range []struct {
		name, content string
	}{
		{"plain", keyHex},
		{"0x and newline", "0x" + keyHex + "\n"},
		{"surrounding whitespace", "  \n\t0x" + keyHex + " \r\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeKeyFile(t, "key", tc.content, 0o600)
			for _, f := range []*relayFlags{
				{app: want, appKey: keyHex},
				{app: want, appKeyFile: file},
				{app: want, gwKey: keyHex},
				{app: want, gwKeyFile: file},
			} {
				k, err := f.key()
				if err != nil {
					t.Fatalf("%+v: %v", f, err)
				}
				if k.Address() != want {
					t.Fatalf("%+v: address %s, want %s", f, k.Address(), want)
				}
			}
		})
	}
	t.Run("0400", func(t *testing.T) {
		k, err := (&relayFlags{app: want, appKeyFile: writeKeyFile(t, "key", keyHex, 0o400)}).key()
		if err != nil || k.Address() != want {
			t.Fatalf("key %v, err %v; want %s", k, err, want)
		}
	})
	t.Run("another app", func(t *testing.T) {
		_, other := relayTestKey(t, "other")
		err := runRelayKey(t, other, "--app-key-file", writeKeyFile(t, "key", keyHex, 0o600))
		if !strings.Contains(err.Error(), "--app-key-file is the key of "+want+", not of --app "+other) {
			t.Fatalf("error %q does not name both addresses", err)
		}
	})
}

func TestRelayKeyFileRefused(t *testing.T) {
	keyHex, app := relayTestKey(t, "app")
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		want          []string
	}{
		{"world readable", keyHex, 0o644, []string{"0644", "too open", "chmod 600"}},
		{"group readable", keyHex, 0o640, []string{"0640", "chmod 600"}},
		{"group writable", keyHex, 0o620, []string{"0620", "chmod 600"}},
		{"empty", "", 0o600, []string{"is empty"}},
		{"whitespace only", " \n\n", 0o600, []string{"is empty"}},
		{"garbage", "not a key at all\n", 0o600, []string{"want 64"}},
		{"not hex", strings.Repeat("zz", 32), 0o600, []string{"not hexadecimal"}},
		{"short key", keyHex[:63], 0o600, []string{"63 characters"}},
		{"two keys", keyHex + "\n" + keyHex + "\n", 0o600, []string{"want 64"}},
		{"too large", strings.Repeat("a", 5<<10), 0o600, []string{"larger than"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeKeyFile(t, "key", tc.content, tc.mode)
			for _, flag := range []string{"--app-key-file", "--gateway-key-file"} {
				err := runRelayKey(t, app, flag, file)
				msg := err.Error()
				for _, w := range append([]string{flag, file}, tc.want...) {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: error %q lacks %q", flag, msg, w)
					}
				}
				if strings.Contains(msg, keyHex[:16]) || strings.Contains(msg, "not a key") {
					t.Errorf("%s: error %q repeats the file's content", flag, msg)
				}
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		if err := runRelayKey(t, app, "--app-key-file", missing); !strings.Contains(err.Error(), missing) {
			t.Fatalf("error %q does not name %s", err, missing)
		}
	})
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := runRelayKey(t, app, "--gateway-key-file", dir); !strings.Contains(err.Error(), dir) {
			t.Fatalf("error %q does not name %s", err, dir)
		}
	})
}

func TestRelayKeyExactlyOne(t *testing.T) {
	keyHex, app := relayTestKey(t, "app")
	file := writeKeyFile(t, "key", keyHex, 0o600)
	for _, tc := range []struct {
		name string
		args []string
		got  string
	}{
		{"none", nil, "got none"},
		{"file and hex", []string{"--app-key-file", file, "--app-key-hex", keyHex}, "got --app-key-file and --app-key-hex"},
		{"app and gateway files", []string{"--app-key-file", file, "--gateway-key-file", file}, "got --app-key-file and --gateway-key-file"},
		{"gateway file and key name", []string{"--gateway-key-file", file, "--key-name", "app1"}, "got --gateway-key-file and --key-name"},
		{"gateway hex and key name", []string{"--gateway-key-hex", keyHex, "--key-name", "app1"}, "got --key-name and --gateway-key-hex"},
		{"all five", []string{"--app-key-file", file, "--gateway-key-file", file, "--key-name", "app1", "--app-key-hex", keyHex, "--gateway-key-hex", keyHex},
			"got --app-key-file and --gateway-key-file and --key-name and --app-key-hex and --gateway-key-hex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := runRelayKey(t, app, tc.args...).Error()
			for _, w := range []string{"exactly one signing key", "--app-key-file, --gateway-key-file, --key-name, --app-key-hex, --gateway-key-hex", tc.got} {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if strings.Contains(msg, keyHex[:16]) {
				t.Errorf("error %q repeats the key", msg)
			}
		})
	}
}

// withStdin makes os.Stdin a pipe holding content until the test ends, so cosmos-sdk reads
// passphrases from it rather than from a terminal.
func withStdin(t *testing.T, content string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString(content); err != nil {
		t.Fatal(err)
	}
	w.Close()
	old := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = old; r.Close() })
}

// newRelayFileKeyring makes a file keyring under dir the way pocketd does (cosmos-sdk's file
// backend, passphrase typed twice, keyhash written beside the records) holding keyHex as name.
func newRelayFileKeyring(t *testing.T, dir, name, keyHex string) {
	t.Helper()
	withStdin(t, relayTestPassphrase+"\n"+relayTestPassphrase+"\n")
	reg := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(reg)
	kr, err := keyring.New("pocket", keyring.BackendFile, dir, os.Stdin, codec.NewProtoCodec(reg))
	if err != nil {
		t.Fatal(err)
	}
	if err := kr.ImportPrivKeyHex(name, keyHex, "secp256k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keyring-file", "keyhash")); err != nil {
		t.Fatalf("cosmos-sdk wrote no keyhash: %v", err)
	}
}

func TestRelayKeyringPassphraseEnv(t *testing.T) {
	const env = "PRM_TEST_RELAY_KEYRING_PASSPHRASE"
	keyHex, app := relayTestKey(t, "app")
	dir := t.TempDir()
	newRelayFileKeyring(t, dir, "app1", keyHex)
	file := func() *relayFlags {
		return &relayFlags{app: app, krDir: dir, krBackend: "file", keyName: "app1", passEnv: env}
	}

	t.Run("set", func(t *testing.T) {
		withStdin(t, "") // stdin must not be read: it holds nothing
		t.Setenv(env, relayTestPassphrase)
		k, err := file().key()
		if err != nil {
			t.Fatal(err)
		}
		if k.Address() != app {
			t.Fatalf("address %s, want %s", k.Address(), app)
		}
	})
	t.Run("stdin stays the default", func(t *testing.T) {
		withStdin(t, relayTestPassphrase+"\n")
		f := file()
		f.passEnv = ""
		k, err := f.key()
		if err != nil || k.Address() != app {
			t.Fatalf("key %v, err %v; want %s", k, err, app)
		}
	})
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T)
		flags func() *relayFlags
		want  []string
	}{
		{"unset", func(t *testing.T) { t.Setenv(env, "x"); os.Unsetenv(env) }, file,
			[]string{"--keyring-passphrase-env", env, "is not set"}},
		{"empty", func(t *testing.T) { t.Setenv(env, "") }, file,
			[]string{"--keyring-passphrase-env", env, "is empty"}},
		{"wrong", func(t *testing.T) { t.Setenv(env, "not the passphrase") }, file,
			[]string{"keyring file at " + dir, "wrong passphrase"}},
		{"test backend", func(t *testing.T) { t.Setenv(env, relayTestPassphrase) },
			func() *relayFlags { f := file(); f.krBackend = "test"; return f },
			[]string{"--keyring-passphrase-env", "--keyring-backend file"}},
		{"no key name", func(t *testing.T) { t.Setenv(env, relayTestPassphrase) },
			func() *relayFlags {
				f := file()
				f.keyName, f.appKey = "", keyHex
				return f
			},
			[]string{"--keyring-passphrase-env", "--key-name"}},
		{"no keyring", func(t *testing.T) { t.Setenv(env, relayTestPassphrase) },
			func() *relayFlags { f := file(); f.krDir = filepath.Join(dir, "nowhere"); return f },
			[]string{"keyring file at " + filepath.Join(dir, "nowhere"), "no file keyring"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withStdin(t, relayTestPassphrase+"\n") // a fallback to stdin would succeed
			tc.setup(t)
			_, err := tc.flags().key()
			if err == nil {
				t.Fatal("key succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), relayTestPassphrase) {
				t.Errorf("error %q repeats the passphrase", err)
			}
		})
	}
	t.Run("flag wiring", func(t *testing.T) {
		t.Setenv(env, "x")
		os.Unsetenv(env)
		err := runRelayKey(t, app, "--keyring-dir", dir, "--keyring-backend", "file", "--key-name", "app1",
			"--keyring-passphrase-env", env)
		if !strings.Contains(err.Error(), env+": the variable is not set") {
			t.Fatalf("error %q does not say %s is not set", err, env)
		}
	})
}
