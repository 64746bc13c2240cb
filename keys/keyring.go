package keys

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	dkeyring "github.com/99designs/keyring"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cosmossecp "github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"golang.org/x/crypto/bcrypt"
)

// Subdirectories of the keyring root that hold the key files, as cosmos-sdk names them.
const (
	keyringTestSubdir = "keyring-test"
	keyringFileSubdir = "keyring-file"
)

// newKeyringCodec returns a codec that can decode keyring records holding any cosmos-sdk key
// type. It touches no global state.
func newKeyringCodec() codec.Codec {
	reg := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(reg)
	return codec.NewProtoCodec(reg)
}

// openKeyring opens the keyring that o describes, never prompting on a terminal.
func openKeyring(o *KeyringOptions) (keyring.Keyring, error) {
	cdc := newKeyringCodec()
	switch o.Backend {
	case BackendTest:
		return keyring.New(o.AppName, keyring.BackendTest, o.Dir, nil, cdc)
	case BackendFile:
		return OpenFileKeyring(o.Dir, o.AppName, o.Passphrase, cdc)
	case BackendOS:
		// If the OS store falls back to encrypted files, the passphrase is read from here.
		in := strings.NewReader(o.Passphrase + "\n")
		return keyring.New(o.AppName, keyring.BackendOS, o.Dir, in, cdc)
	}
	return nil, fmt.Errorf("backend %q: want one of test, file, os", o.Backend)
}

// checkKeyhash compares the passphrase with the bcrypt hash that cosmos-sdk stores beside a
// file keyring, so that a wrong passphrase is reported as such. A missing hash file is no error.
func checkKeyhash(dir, pass string) error {
	hash, err := os.ReadFile(filepath.Join(dir, "keyhash"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read passphrase hash: %w", err)
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(pass)); err != nil {
		return errors.New("wrong passphrase: it does not match the keyring's keyhash")
	}
	return nil
}

// OpenFileKeyring opens cosmos-sdk's file keyring under root (pocketd's --home; the records are
// in root/keyring-file) with passphrase, never prompting: cosmos-sdk's own opener asks on the
// terminal when there is one and retries a wrong passphrase, so the same store is opened here
// with the passphrase given, checked first against the keyring's keyhash.
func OpenFileKeyring(root, appName, passphrase string, cdc codec.Codec) (keyring.Keyring, error) {
	dir := filepath.Join(root, keyringFileSubdir)
	if err := checkKeyhash(dir, passphrase); err != nil {
		return nil, err
	}
	db, err := dkeyring.Open(dkeyring.Config{
		AllowedBackends:  []dkeyring.BackendType{dkeyring.FileBackend},
		ServiceName:      appName,
		FileDir:          dir,
		FilePasswordFunc: func(string) (string, error) { return passphrase, nil },
	})
	if err != nil {
		return nil, err
	}
	return keyring.NewInMemoryWithKeyring(db, cdc), nil // "in memory" only names the wrapper
}

// keyringWatchDir is the directory whose changes mean the keyring's keys may have changed.
func keyringWatchDir(o *KeyringOptions) string {
	switch o.Backend {
	case BackendTest:
		return filepath.Join(o.Dir, keyringTestSubdir)
	case BackendFile:
		return filepath.Join(o.Dir, keyringFileSubdir)
	}
	return "" // the OS store has no directory to watch
}

// loadKeyring adds the named keys of a keyring to b. Errors name the backend, the directory and
// the key name.
func loadKeyring(o *KeyringOptions, b *keySetBuilder) error {
	where := fmt.Sprintf("keyring %s", o.Backend)
	if o.Dir != "" {
		where += " at " + o.Dir
	}
	kr, err := openKeyring(o)
	if err != nil {
		return fmt.Errorf("%s: open: %w", where, err)
	}
	var raw [32]byte
	for _, name := range o.Names {
		if err := keyringKey(kr, name, &raw); err != nil {
			return fmt.Errorf("%s: key %q: %w", where, name, err)
		}
		if err := b.add(&raw, fmt.Sprintf("%s key %q", where, name)); err != nil {
			return fmt.Errorf("%s: key %q: %w", where, name, err)
		}
	}
	return nil
}

// keyringKey copies the secp256k1 private key stored under name into dst.
func keyringKey(kr keyring.Keyring, name string, dst *[32]byte) error {
	rec, err := kr.Key(name)
	if err != nil {
		return err
	}
	local := rec.GetLocal()
	if local == nil || local.PrivKey == nil {
		return fmt.Errorf("no private key in the keyring (a %s record)", rec.GetType())
	}
	priv, ok := local.PrivKey.GetCachedValue().(*cosmossecp.PrivKey)
	if !ok {
		return fmt.Errorf("key type %s: want secp256k1", local.PrivKey.GetTypeUrl())
	}
	if len(priv.Key) != len(dst) {
		return fmt.Errorf("secp256k1 key of %d bytes: want %d", len(priv.Key), len(dst))
	}
	copy(dst[:], priv.Key)
	return nil
}
