package keys

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/mattn/go-isatty"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/crypto/bcrypt"
)

const testPassphrase = "correct horse battery staple"

// writeKeyhash writes the bcrypt hash of testPassphrase where cosmos-sdk keeps it.
func writeKeyhash(t *testing.T, dir string) {
	t.Helper()
	sub := filepath.Join(dir, keyringFileSubdir)
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassphrase), 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "keyhash"), hash, 0o600); err != nil {
		t.Fatal(err)
	}
}

// newFileKeyring creates a file keyring at dir with the given passphrase, as pocketd does: the
// keyhash file beside encrypted records.
func newFileKeyring(t *testing.T, dir, app string) keyring.Keyring {
	t.Helper()
	writeKeyhash(t, dir)
	kr, err := openKeyring(&KeyringOptions{Backend: BackendFile, Dir: dir, AppName: app, Passphrase: testPassphrase})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func newTestKeyring(t *testing.T, dir string) keyring.Keyring {
	t.Helper()
	kr, err := keyring.New(DefaultAppName, keyring.BackendTest, dir, nil, newKeyringCodec())
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// TestSameKeyAllSources loads one key from each source, alone and together.
func TestSameKeyAllSources(t *testing.T) {
	priv, keyHex := genKey(t)
	want := wantAddress(t, priv)
	tmp := t.TempDir()

	hexFile := filepath.Join(tmp, "keys.yaml")
	writeFileAtomic(t, hexFile, hexYAML("0x"+keyHex))
	keyDir := filepath.Join(tmp, "keydir")
	if err := os.Mkdir(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFileAtomic(t, filepath.Join(keyDir, "supplier"), keyHex+"\n")
	testKR := filepath.Join(tmp, "kr-test")
	if err := newTestKeyring(t, testKR).ImportPrivKeyHex("supplier", keyHex, "secp256k1"); err != nil {
		t.Fatal(err)
	}
	fileKR := filepath.Join(tmp, "kr-file")
	if err := newFileKeyring(t, fileKR, DefaultAppName).ImportPrivKeyHex("supplier", keyHex, "secp256k1"); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"hex file", Options{HexFile: hexFile}},
		{"key dir", Options{Dir: keyDir}},
		{"test keyring", Options{Keyring: &KeyringOptions{Backend: BackendTest, Dir: testKR, Names: []string{"supplier"}}}},
		{"file keyring", Options{Keyring: &KeyringOptions{Backend: BackendFile, Dir: fileKR, Passphrase: testPassphrase, Names: []string{"supplier"}}}},
		{"all", Options{HexFile: hexFile, Dir: keyDir, Keyring: &KeyringOptions{Backend: BackendTest, Dir: testKR, Names: []string{"supplier"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newTestManager(t, tc.opts)
			if got := m.Addresses(); len(got) != 1 || got[0] != want {
				t.Fatalf("addresses %v, want [%s]", got, want)
			}
			s, ok := m.Get(want)
			if !ok || !s.PubKey().Equals(priv.PubKey()) {
				t.Fatalf("Get(%s) = %v, %v", want, s, ok)
			}
			msg := []byte("sign bytes")
			sig, err := s.Sign(msg)
			if err != nil || !priv.PubKey().VerifySignature(msg, sig) {
				t.Fatalf("signature does not verify (err %v)", err)
			}
		})
	}
}

// TestKeyringMnemonic imports poktroll's supplier1 the way `pocketd keys add --recover` does.
func TestKeyringMnemonic(t *testing.T) {
	dir := t.TempDir()
	kr := newTestKeyring(t, dir)
	if _, err := kr.NewAccount("supplier1", supplier1Mnemonic, "", hd.CreateHDPath(118, 0, 0).String(), hd.Secp256k1); err != nil {
		t.Fatal(err)
	}
	m, _ := newTestManager(t, Options{Keyring: &KeyringOptions{Backend: BackendTest, Dir: dir, Names: []string{"supplier1"}}})
	if _, ok := m.Get(supplier1Address); !ok {
		t.Fatalf("addresses %v, want %s", m.Addresses(), supplier1Address)
	}
}

// TestCosmosFileKeyring reads a file keyring written by cosmos-sdk's own file backend, which
// reads the passphrase from its input when that is not a terminal.
func TestCosmosFileKeyring(t *testing.T) {
	if isatty.IsTerminal(os.Stdin.Fd()) || isatty.IsCygwinTerminal(os.Stdin.Fd()) {
		t.Skip("stdin is a terminal: cosmos-sdk would prompt on it")
	}
	dir := t.TempDir()
	in := strings.NewReader(testPassphrase + "\n" + testPassphrase + "\n")
	kr, err := keyring.New(DefaultAppName, keyring.BackendFile, dir, in, newKeyringCodec())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.NewAccount("supplier1", supplier1Mnemonic, "", hd.CreateHDPath(118, 0, 0).String(), hd.Secp256k1); err != nil {
		t.Fatal(err)
	}
	m, _ := newTestManager(t, Options{Keyring: &KeyringOptions{Backend: BackendFile, Dir: dir, Passphrase: testPassphrase, Names: []string{"supplier1"}}})
	if _, ok := m.Get(supplier1Address); !ok {
		t.Fatalf("addresses %v, want %s", m.Addresses(), supplier1Address)
	}
}

func TestKeyringErrors(t *testing.T) {
	_, keyHex := genKey(t)
	dir := t.TempDir() // a file keyring with only its keyhash: the passphrase check comes first
	writeKeyhash(t, dir)
	testDir := t.TempDir()
	kr := newTestKeyring(t, testDir)
	if err := kr.ImportPrivKeyHex("supplier", keyHex, "secp256k1"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		kr      KeyringOptions
		wantErr []string
	}{
		{"wrong passphrase", KeyringOptions{Backend: BackendFile, Dir: dir, Passphrase: "not the passphrase", Names: []string{"supplier"}},
			[]string{"keyring file at " + dir, "wrong passphrase"}},
		{"unknown name", KeyringOptions{Backend: BackendTest, Dir: testDir, Names: []string{"supplier", "nobody"}},
			[]string{"keyring test at " + testDir, `key "nobody"`, "not found"}},
		{"unknown backend", KeyringOptions{Backend: "kwallet", Dir: dir, Names: []string{"supplier"}}, []string{`backend "kwallet"`}},
		{"no names", KeyringOptions{Backend: BackendTest, Dir: testDir}, []string{"no key names"}},
		{"no passphrase", KeyringOptions{Backend: BackendFile, Dir: dir, Names: []string{"supplier"}}, []string{"needs a passphrase"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Keyring: &tc.kr}, zerolog.Nop(), prometheus.NewRegistry())
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			assertNoKeyMaterial(t, err.Error(), keyHex)
			if strings.Contains(err.Error(), testPassphrase) || strings.Contains(err.Error(), "not the passphrase") {
				t.Errorf("error holds the passphrase: %v", err)
			}
		})
	}
}

func TestHexFileTestdata(t *testing.T) {
	for _, tc := range []struct {
		file    string
		want    int    // keys, for a good file
		wantErr string // substring, for a bad file
	}{
		{file: "good.yaml", want: 2},
		{file: "good.empty_list.yaml", want: 0},
		{file: "bad.unknown_field.yaml", wantErr: "line 3: unknown field"},
		{file: "bad.short_key.yaml", wantErr: "keys entry 2 (line 3): want 64 hex characters, got 63"},
		{file: "bad.not_hex.yaml", wantErr: "keys entry 2 (line 3): not hex"},
		{file: "bad.bare_key.yaml", wantErr: "line 1: want a mapping"},
		{file: "bad.keys_scalar.yaml", wantErr: "line 1: keys must be a list"},
		{file: "bad.nested_list.yaml", wantErr: "keys entry 2 (line 3): want a hex string"},
		{file: "bad.zero_key.yaml", wantErr: "keys entry 1 (line 2): not a valid secp256k1"},
		{file: "bad.curve_order.yaml", wantErr: "keys entry 1 (line 2): not a valid secp256k1"},
		{file: "bad.duplicate_field.yaml", wantErr: "line 3: duplicate field"},
		{file: "bad.syntax.yaml", wantErr: "line 3: invalid YAML"},
		{file: "bad.two_documents.yaml", wantErr: "want one YAML document"},
		{file: "bad.key_as_field.yaml", wantErr: "line 1: unknown field"},
		{file: "missing.yaml", wantErr: "no such file"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			b := newKeySetBuilder(nil)
			err := loadHexFile(path, b)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if n := len(b.build().addrs); n != tc.want {
					t.Fatalf("%d keys, want %d", n, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q, want one naming %s and containing %q", err, path, tc.wantErr)
			}
			content, _ := os.ReadFile(path)
			var keys []string
			for _, f := range strings.Fields(string(content)) {
				if len(f) >= 16 {
					keys = append(keys, strings.Trim(f, `-[]:"`))
				}
			}
			assertNoKeyMaterial(t, err.Error(), keys...)
		})
	}
}

func TestKeyDir(t *testing.T) {
	priv1, k1 := genKey(t)
	priv2, k2 := genKey(t)
	dir := t.TempDir()
	writeFileAtomic(t, filepath.Join(dir, "one"), "  0x"+k1+"\n\n")
	writeFileAtomic(t, filepath.Join(dir, "two.key"), k2)
	// Ignored: dotfiles, editor leftovers and subdirectories, whatever they hold.
	for _, name := range []string{".hidden", "one~", ".one.swp", "two.key.swp", "x.swx", "y.tmp"} {
		writeFileAtomic(t, filepath.Join(dir, name), "garbage")
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A Kubernetes-style link to a key file is followed.
	target := filepath.Join(t.TempDir(), "linked")
	writeFileAtomic(t, target, k1)
	if err := os.Symlink(target, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	m, _ := newTestManager(t, Options{Dir: dir})
	want := []string{wantAddress(t, priv1), wantAddress(t, priv2)}
	if want[0] > want[1] {
		want[0], want[1] = want[1], want[0]
	}
	if got := m.Addresses(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("addresses %v, want %v", got, want)
	}

	for _, tc := range []struct{ name, content, wantErr string }{
		{"bad", k1[:40], "file bad: want 64 hex characters, got 40"},
		{"empty", "\n", "file empty: empty"},
		{"two-keys", k1 + "\n" + k2, "file two-keys: want 64 hex characters, got 129"},
		{"huge", strings.Repeat(k1+"\n", 40), "file huge: larger than 1024 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := t.TempDir()
			writeFileAtomic(t, filepath.Join(bad, tc.name), tc.content)
			_, err := New(Options{Dir: bad}, zerolog.Nop(), prometheus.NewRegistry())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), bad) {
				t.Fatalf("error %v, want one naming %s and containing %q", err, bad, tc.wantErr)
			}
			assertNoKeyMaterial(t, err.Error(), k1, k2)
		})
	}
}

func TestNewErrors(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"no source", Options{}, "no key source configured"},
		{"no keys", Options{Dir: empty}, "no keys found in key directory " + empty},
		{"missing dir", Options{Dir: filepath.Join(empty, "nope")}, "key directory " + filepath.Join(empty, "nope")},
		{"negative debounce", Options{Dir: empty, Debounce: -1}, "debounce must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts, zerolog.Nop(), prometheus.NewRegistry())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	t.Run("registered twice", func(t *testing.T) {
		_, k := genKey(t)
		dir := t.TempDir()
		writeFileAtomic(t, filepath.Join(dir, "k"), k)
		reg := prometheus.NewRegistry()
		if _, err := New(Options{Dir: dir}, zerolog.Nop(), reg); err != nil {
			t.Fatal(err)
		}
		var are prometheus.AlreadyRegisteredError
		if _, err := New(Options{Dir: dir}, zerolog.Nop(), reg); !errors.As(err, &are) {
			t.Fatalf("error %v, want AlreadyRegisteredError", err)
		}
	})
}
