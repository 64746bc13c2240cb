package keys

import (
	"errors"
	"fmt"
	"time"
)

// Keyring backends accepted in KeyringOptions.Backend.
const (
	BackendTest = "test" // unencrypted files under <Dir>/keyring-test; for development only
	BackendFile = "file" // files under <Dir>/keyring-file, encrypted with Passphrase
	BackendOS   = "os"   // the operating system's secret store (may be unavailable headless)
)

// Defaults applied by New to zero-valued fields.
const (
	// DefaultAppName is the keyring application name pocketd uses.
	DefaultAppName = "pocket"
	// DefaultDebounce is how long Run waits after the last file event before reloading.
	DefaultDebounce = 250 * time.Millisecond
)

// Options says where the supplier keys come from. At least one source must be set; every key
// of every configured source is loaded and the results are merged by operator address.
type Options struct {
	// HexFile is the path of a YAML file holding a "keys:" list of hex secp256k1 private keys
	// (64 hex characters, optional 0x prefix). Empty: not used.
	HexFile string
	// Dir is a directory in which every regular, non-hidden file holds one hex private key.
	// Dotfiles, "*.swp", "*.swx", "*.tmp" and "*~" are ignored. Empty: not used.
	Dir string
	// Keyring is a cosmos-sdk keyring to read named keys from. Nil: not used.
	Keyring *KeyringOptions
	// Debounce is how long Run waits after the last file event before it reloads, so a burst of
	// events (an editor's write, rename and chmod) causes one reload. Default DefaultDebounce;
	// must not be negative.
	Debounce time.Duration
}

// KeyringOptions selects keys from a cosmos-sdk keyring, laid out as pocketd lays it out.
type KeyringOptions struct {
	// Backend is one of BackendTest, BackendFile, BackendOS. Required.
	Backend string
	// Dir is the keyring root directory (pocketd's --keyring-dir / --home), the one holding
	// keyring-test/ or keyring-file/. Required for the test and file backends.
	Dir string
	// AppName is the keyring service name. Default DefaultAppName ("pocket").
	AppName string
	// Passphrase unlocks the file backend (and the os backend's file fallback). Required for
	// the file backend. It never appears in logs or errors.
	Passphrase string
	// Names lists the keys to load (as in `pocketd keys list`). At least one is required.
	Names []string
}

// String redacts the passphrase.
func (k KeyringOptions) String() string {
	return fmt.Sprintf("keyring{backend=%s dir=%s app=%s names=%v}", k.Backend, k.Dir, k.AppName, k.Names)
}

// GoString redacts the passphrase, also for %#v.
func (k KeyringOptions) GoString() string { return k.String() }

// withDefaults returns a copy of o with defaults applied to zero-valued fields.
func (o Options) withDefaults() Options {
	if o.Debounce == 0 {
		o.Debounce = DefaultDebounce
	}
	if o.Keyring != nil {
		kr := *o.Keyring
		kr.Names = append([]string(nil), kr.Names...)
		if kr.AppName == "" {
			kr.AppName = DefaultAppName
		}
		o.Keyring = &kr
	}
	return o
}

// validate checks o after withDefaults, returning one sentence per broken rule.
func (o Options) validate() error {
	if o.HexFile == "" && o.Dir == "" && o.Keyring == nil {
		return errors.New("no key source configured: set a hex key file, a key directory or a keyring")
	}
	var errs []error
	if o.Debounce < 0 {
		errs = append(errs, errors.New("debounce must not be negative"))
	}
	if kr := o.Keyring; kr != nil {
		switch kr.Backend {
		case BackendTest, BackendFile:
			if kr.Dir == "" {
				errs = append(errs, fmt.Errorf("keyring: the %s backend needs a directory", kr.Backend))
			}
		case BackendOS:
		default:
			errs = append(errs, fmt.Errorf("keyring: backend %q: want one of test, file, os", kr.Backend))
		}
		if kr.Backend == BackendFile && kr.Passphrase == "" {
			errs = append(errs, errors.New("keyring: the file backend needs a passphrase"))
		}
		if len(kr.Names) == 0 {
			errs = append(errs, errors.New("keyring: no key names listed"))
		}
		for i, n := range kr.Names {
			if n == "" {
				errs = append(errs, fmt.Errorf("keyring: name #%d is empty", i+1))
			}
		}
	}
	return errors.Join(errs...)
}
