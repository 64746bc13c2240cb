// Package keys loads the supplier operator keys, keeps them current while the process runs, and
// signs with them.
//
// The relayer signs every relay response with the key of the supplier the relay was for, and the
// tx package signs claim and proof transactions with the same key. Both ask a Manager for the
// Signer of an operator address.
//
// # Sources
//
// Options names up to three sources; every key of every configured source is loaded and the
// results are merged by operator address. The same key found in several sources is one key.
//
//   - A hex key file (Options.HexFile): YAML with a single field, "keys", a list of hex secp256k1
//     private keys (format below). Unknown fields and duplicate fields are errors. An empty file
//     or an empty list holds no keys.
//
//   - A key directory (Options.Dir): each regular file directly in the directory holds one hex
//     private key in the same form; surrounding whitespace (a trailing newline) is ignored, the
//     file name is free. Dotfiles and editor leftovers ("*~", "*.swp", "*.swx", "*.tmp") are
//     skipped, as are subdirectories. Symbolic links are followed, so a Kubernetes secret
//     mounted as a volume works as is. A file is at most 1 KiB.
//
//   - A cosmos-sdk keyring (Options.Keyring) as pocketd writes it: the test, file or os backend,
//     its root directory, its app name ("pocket" by default) and the names of the keys to load.
//     The file backend's passphrase is passed in, never asked for on a terminal, and checked
//     against the keyring's keyhash. Only local secp256k1 keys can be used: a ledger or offline
//     record is an error.
//
// A hex private key is 64 hex digits, either case, with an optional 0x prefix; its value must be
// a valid secp256k1 scalar (not zero, below the curve order). A hex key file looks like this:
//
//	keys:
//	  - 0x3f1c…e2 # the two keys are shortened here
//	  - 9a07…41
//
// # Addresses and signatures
//
// The operator address of a key is the bech32 encoding, with the prefix "pokt", of the 20-byte
// cosmos account address of its compressed public key (RIPEMD-160 of SHA-256). It is computed
// here, without the global sdk.Config.
//
// Signer.Sign is cosmos-sdk's secp256k1 signature: ECDSA over sha256(msg), RFC 6979 nonce, 64
// bytes R || S in low-S form, so it verifies with the PubKey's VerifySignature and on chain. The
// private key is parsed once at load; Manager.Get is one lock-free map lookup in an immutable
// snapshot, so neither takes a lock on the relay path.
//
// # Reload
//
// New loads every source once and fails if none is configured, if any fails (the error names the
// file, list entry or key name) or if they hold no key at all. Run then watches the directories
// of the sources (the hex file's directory, because editors and secret mounts replace files by
// renaming; the key directory; the keyring's key directory) and, once a burst of events has been
// quiet for Options.Debounce, calls Reload. Reload may also be called directly, on SIGHUP say.
//
// A reload reads every source again and either replaces the whole key set or, if anything fails
// (a malformed entry, an unreadable file, a wrong passphrase, no key left), keeps the previous set
// untouched, logs the error and counts it. A set is never half applied. A directory that is
// removed and created again is no longer watched; Reload still reads it.
//
// Consumers learn of changes through Subscribe: a capacity-1 channel that is signalled after a
// reload changed the keys and that the reloader never blocks on. A signal means "look again",
// not "one change".
//
// # Secrets
//
// Key material never appears in logs, errors or metrics. Parse errors say what is wrong (length,
// a non-hex character, out of range) and where (file, 1-based entry, line), never the text; yaml
// errors are rewritten to keep only their line numbers. Signer and KeyringOptions print as their
// address or without their passphrase with every fmt verb. Logs carry addresses only, which are
// public.
//
// # Metrics
//
//   - relayminer_keys_loaded: keys currently loaded.
//   - relayminer_keys_reloads_total{outcome="success"|"error"}: reloads, not counting the load in
//     New.
package keys
