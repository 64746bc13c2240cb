package transport

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// MessageVersion is the version byte of the relay message wire format written by Encode
// (FORMAT.md). Decoders reject every other version.
const MessageVersion byte = 1

// MessageField is the name of the one stream-entry field that holds an encoded Message.
const MessageField = "m"

// Size limits of the relay message. Decode rejects input that exceeds them, and Encode refuses
// to produce it, so a message that one side writes the other side always reads.
const (
	// MaxRelayBytes bounds the dehydrated relay (request with payload, response without).
	MaxRelayBytes = 16 << 20
	// MaxStringBytes bounds each string field (addresses, service id, session id).
	MaxStringBytes = 255
	// MaxMessageBytes bounds a whole encoded message.
	MaxMessageBytes = messageFixedBytes + 4*MaxStringBytes + MaxRelayBytes
)

// Layout of the fixed head of a version-1 message (FORMAT.md).
const (
	offVersion  = 0
	offHash     = 1
	offCUPR     = offHash + sha256.Size // 33
	offStart    = offCUPR + 8           // 41
	offEnd      = offStart + 8          // 49
	offRelayLen = offEnd + 8            // 57
	offStrings  = offRelayLen + 4       // 61

	messageFixedBytes = offStrings + 4 // head plus the four string length bytes
)

// Errors returned by Decode. Each wraps ErrMalformedMessage, so a consumer can branch on that one
// sentinel: a malformed entry can never become valid, and is acknowledged and counted, not retried.
var (
	ErrMalformedMessage = errors.New("malformed relay message")
	errTruncated        = fmt.Errorf("%w: truncated", ErrMalformedMessage)
	errTrailing         = fmt.Errorf("%w: trailing bytes", ErrMalformedMessage)
	errOversized        = fmt.Errorf("%w: oversized", ErrMalformedMessage)
	errHashMismatch     = fmt.Errorf("%w: relay hash is not sha256 of the relay bytes", ErrMalformedMessage)
)

// Message is what a relayer hands the miner for one served relay: everything the miner needs to
// insert the relay into the (supplier, session) tree without another chain query.
type Message struct {
	// Relay is Relay{req, res}.Marshal() with res.payload = nil (PROTOCOL.md §2.4): the SMST leaf
	// value. After Decode it aliases the decoded input; after DecodeString it is a private copy.
	Relay []byte
	// RelayHash is sha256(Relay): the SMST leaf key.
	RelayHash [sha256.Size]byte
	// ComputeUnitsPerRelay is the service's CUPR at the session start height: the leaf weight.
	ComputeUnitsPerRelay uint64
	// Supplier is the supplier operator address (bech32) whose stream carries the message.
	Supplier string
	// Application, ServiceID, SessionID, SessionStartHeight and SessionEndHeight are the
	// relay's session header fields.
	Application        string
	ServiceID          string
	SessionID          string
	SessionStartHeight int64
	SessionEndHeight   int64
}

// HashRelay returns sha256(relay), the relay hash of dehydrated relay bytes.
func HashRelay(relay []byte) [sha256.Size]byte { return sha256.Sum256(relay) }

// EncodedLen returns the exact length of m's encoding.
func (m *Message) EncodedLen() int {
	return messageFixedBytes + len(m.Supplier) + len(m.Application) + len(m.ServiceID) +
		len(m.SessionID) + len(m.Relay)
}

// AppendEncode appends m's version-1 encoding to dst and returns the extended slice. It fails
// only when a field exceeds its size limit; it does not check RelayHash (see VerifyHash).
func (m *Message) AppendEncode(dst []byte) ([]byte, error) {
	if err := m.CheckSize(); err != nil {
		return dst, fmt.Errorf("encode relay message: %w", err)
	}
	dst = append(dst, MessageVersion)
	dst = append(dst, m.RelayHash[:]...)
	dst = binary.BigEndian.AppendUint64(dst, m.ComputeUnitsPerRelay)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.SessionStartHeight))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.SessionEndHeight))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(m.Relay)))
	dst = append(dst, byte(len(m.Supplier)), byte(len(m.Application)), byte(len(m.ServiceID)), byte(len(m.SessionID)))
	dst = append(dst, m.Supplier...)
	dst = append(dst, m.Application...)
	dst = append(dst, m.ServiceID...)
	dst = append(dst, m.SessionID...)
	dst = append(dst, m.Relay...)
	return dst, nil
}

// CheckSize reports whether every field of m is within its size limit, that is whether m can
// be encoded. It is a few length comparisons, cheap enough for the hot path.
func (m *Message) CheckSize() error {
	if len(m.Relay) > MaxRelayBytes {
		return fmt.Errorf("relay of %d bytes exceeds %d: %w", len(m.Relay), MaxRelayBytes, errOversized)
	}
	if len(m.Supplier) > MaxStringBytes || len(m.Application) > MaxStringBytes ||
		len(m.ServiceID) > MaxStringBytes || len(m.SessionID) > MaxStringBytes {
		return fmt.Errorf("a string field exceeds %d bytes: %w", MaxStringBytes, errOversized)
	}
	return nil
}

// Encode returns m's version-1 encoding in a new slice of exactly EncodedLen bytes.
func (m *Message) Encode() ([]byte, error) {
	return m.AppendEncode(make([]byte, 0, m.EncodedLen()))
}

// VerifyHash reports whether RelayHash is sha256(Relay). DecodeEntry checks it; Decode does not.
func (m *Message) VerifyHash() error {
	if HashRelay(m.Relay) != m.RelayHash {
		return errHashMismatch
	}
	return nil
}

// Decode parses one encoded message. Relay aliases b, so b must not be modified while the
// message is in use; the string fields are copies. Every malformed input (unknown version,
// truncated, trailing bytes, over a size limit) is an error wrapping ErrMalformedMessage.
func Decode(b []byte) (Message, error) {
	m, start, err := decode(b)
	if err == nil {
		m.Relay = b[start:len(b):len(b)]
	}
	return m, err
}

// DecodeString parses one encoded message held in a string, as go-redis returns stream values.
// The string fields are substrings of s (no copies); Relay is the one copy.
func DecodeString(s string) (Message, error) {
	m, start, err := decode(s)
	if err == nil {
		m.Relay = []byte(s[start:])
	}
	return m, err
}

// decode is shared by Decode and DecodeString so the bounds checks exist once. It fills every
// field but Relay and returns where the relay starts (it runs to the end of b); the callers take
// the relay themselves, because a conversion of a type parameter to []byte is a slow path.
func decode[T string | []byte](b T) (Message, int, error) {
	var m Message
	if len(b) > MaxMessageBytes {
		return m, 0, errOversized
	}
	if len(b) < messageFixedBytes {
		if len(b) > 0 && b[offVersion] != MessageVersion {
			return m, 0, fmt.Errorf("%w: version %d, want %d", ErrMalformedMessage, b[offVersion], MessageVersion)
		}
		return m, 0, errTruncated
	}
	if v := b[offVersion]; v != MessageVersion {
		return m, 0, fmt.Errorf("%w: version %d, want %d", ErrMalformedMessage, v, MessageVersion)
	}
	for i := range m.RelayHash {
		m.RelayHash[i] = b[offHash+i]
	}
	m.ComputeUnitsPerRelay = be64(b[offCUPR:])
	m.SessionStartHeight = int64(be64(b[offStart:]))
	m.SessionEndHeight = int64(be64(b[offEnd:]))
	relayLen := uint64(b[offRelayLen])<<24 | uint64(b[offRelayLen+1])<<16 |
		uint64(b[offRelayLen+2])<<8 | uint64(b[offRelayLen+3])
	if relayLen > MaxRelayBytes {
		return Message{}, 0, errOversized
	}
	lens := [4]uint64{uint64(b[offStrings]), uint64(b[offStrings+1]), uint64(b[offStrings+2]), uint64(b[offStrings+3])}
	want := uint64(messageFixedBytes) + lens[0] + lens[1] + lens[2] + lens[3] + relayLen
	switch {
	case uint64(len(b)) < want:
		return Message{}, 0, errTruncated
	case uint64(len(b)) > want:
		return Message{}, 0, errTrailing
	}
	p := uint64(messageFixedBytes)
	next := func(n uint64) T { s := b[p : p+n]; p += n; return s }
	m.Supplier = string(next(lens[0]))
	m.Application = string(next(lens[1]))
	m.ServiceID = string(next(lens[2]))
	m.SessionID = string(next(lens[3]))
	return m, int(p), nil
}

func be64[T string | []byte](b T) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}
