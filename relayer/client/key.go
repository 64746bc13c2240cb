package client

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cosmossecp "github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	secp "github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/shannon-ops/pocket-relay-miner/keys"
)

// AddressPrefix is the bech32 prefix of Pocket account addresses.
const AddressPrefix = "pokt"

// Key is the application's or a gateway's secp256k1 private key, used to ring-sign relays.
type Key struct {
	priv *cosmossecp.PrivKey
	addr string
}

// Address is the bech32 address of the key.
func (k *Key) Address() string { return k.addr }

// PubKey is the 33-byte compressed public key.
func (k *Key) PubKey() []byte { return k.priv.PubKey().Bytes() }

// String prints the address only; the key never appears in output.
func (k *Key) String() string { return "key{" + k.addr + "}" }

func newKey(raw []byte) (*Key, error) {
	if len(raw) != 32 {
		return nil, fmt.Errorf("private key of %d bytes: want 32", len(raw))
	}
	var x secp.ModNScalar
	if overflow := x.SetByteSlice(raw); overflow || x.IsZero() {
		return nil, errors.New("private key out of range for secp256k1")
	}
	priv := &cosmossecp.PrivKey{Key: append([]byte(nil), raw...)}
	addr, err := bech32.ConvertAndEncode(AddressPrefix, priv.PubKey().Address())
	if err != nil {
		return nil, err
	}
	return &Key{priv: priv, addr: addr}, nil
}

// KeyFromHex parses a 64-hex-digit secp256k1 private key (optional 0x prefix). The error
// never repeats the input.
func KeyFromHex(s string) (*Key, error) { return keyFromHex([]byte(s)) }

func keyFromHex(b []byte) (*Key, error) {
	b = bytes.TrimPrefix(bytes.TrimSpace(b), []byte("0x"))
	if len(b) != 64 {
		return nil, fmt.Errorf("hex private key of %d characters: want 64", len(b))
	}
	var raw [32]byte
	defer clear(raw[:])
	if _, err := hex.Decode(raw[:], b); err != nil {
		return nil, errors.New("hex private key: not hexadecimal")
	}
	return newKey(raw[:])
}

// maxKeyFileSize bounds a key file: 64 hex digits, a 0x prefix and some whitespace fit many
// times over.
const maxKeyFileSize = 4 << 10

// KeyFromFile reads a hex private key, as KeyFromHex takes it, from a file only its owner may
// access. Surrounding whitespace (a trailing newline) is ignored. As ssh does for its keys, a
// file that group or others may read or write is refused; the error names the file and the
// chmod that fixes it. Errors name the file and never repeat its content.
func KeyFromFile(path string) (*Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err) // the *PathError names the file
	}
	defer f.Close()
	st, err := f.Stat() // the file opened, not whatever the path names by now
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s: not a regular file", path)
	}
	// Windows reports no owner-only mode; its ACLs are not checked.
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("key file %s: permissions %#o are too open, group or others may access it: run chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	defer clear(data)
	switch {
	case err != nil:
		return nil, fmt.Errorf("key file %s: %w", path, err)
	case len(data) > maxKeyFileSize:
		return nil, fmt.Errorf("key file %s: larger than %d bytes: want one hex private key", path, maxKeyFileSize)
	case len(bytes.TrimSpace(data)) == 0:
		return nil, fmt.Errorf("key file %s is empty: want a hex private key", path)
	}
	k, err := keyFromHex(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// KeyringOptions name a key in a cosmos-sdk keyring as pocketd lays it out.
type KeyringOptions struct {
	Dir     string // the keyring root (pocketd's --home or --keyring-dir)
	Backend string // test, file or os
	AppName string // default "pocket"
	Name    string // key name
	// Passphrase unlocks the file backend; it is used by no other backend. Empty: the file
	// backend asks for it on stdin, or on the terminal when stdin is one. Never printed.
	Passphrase string
}

// String prints the options without the passphrase.
func (o KeyringOptions) String() string {
	return fmt.Sprintf("keyring{backend=%s dir=%s app=%s name=%s}", o.Backend, o.Dir, o.AppName, o.Name)
}

// GoString redacts the passphrase also for %#v.
func (o KeyringOptions) GoString() string { return o.String() }

// KeyFromKeyring reads the named local secp256k1 key from a keyring.
func KeyFromKeyring(o KeyringOptions) (*Key, error) {
	if o.AppName == "" {
		o.AppName = "pocket"
	}
	if o.Name == "" {
		return nil, errors.New("keyring: a key name is required")
	}
	kr, err := openKeyring(o)
	if err != nil {
		return nil, fmt.Errorf("keyring %s at %s: %w", o.Backend, o.Dir, err)
	}
	rec, err := kr.Key(o.Name)
	if err != nil {
		return nil, fmt.Errorf("keyring %s at %s: key %q: %w", o.Backend, o.Dir, o.Name, err)
	}
	local := rec.GetLocal()
	if local == nil || local.PrivKey == nil {
		return nil, fmt.Errorf("keyring: key %q has no private key (a %s record)", o.Name, rec.GetType())
	}
	priv, ok := local.PrivKey.GetCachedValue().(*cosmossecp.PrivKey)
	if !ok {
		return nil, fmt.Errorf("keyring: key %q is %s: want secp256k1", o.Name, local.PrivKey.GetTypeUrl())
	}
	return newKey(priv.Key)
}

// openKeyring opens the keyring of o. Without a passphrase it is cosmos-sdk's, prompting on
// stdin as pocketd does. With one, the file backend's store is opened directly with it, since
// cosmos-sdk would still prompt when stdin is a terminal, and would retry a wrong passphrase.
func openKeyring(o KeyringOptions) (keyring.Keyring, error) {
	reg := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(reg)
	cdc := codec.NewProtoCodec(reg)
	if o.Passphrase == "" {
		return keyring.New(o.AppName, o.Backend, o.Dir, os.Stdin, cdc)
	}
	if o.Backend != keyring.BackendFile {
		return nil, fmt.Errorf("a passphrase is for the file backend only, not %q", o.Backend)
	}
	if _, err := os.Stat(filepath.Join(o.Dir, "keyring-file")); err != nil { // where cosmos-sdk keeps it
		return nil, fmt.Errorf("no file keyring: %w", err)
	}
	return keys.OpenFileKeyring(o.Dir, o.AppName, o.Passphrase, cdc)
}
