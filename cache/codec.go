package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Codec turns a cached value into the bytes stored in Redis (L2) and back.
type Codec[T any] struct {
	Marshal   func(T) ([]byte, error)
	Unmarshal func([]byte) (T, error)
}

// protoMessage is what gogoproto generates for every poktroll and Cosmos type.
type protoMessage interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// ProtoCodec stores a gogoproto message (a pointer type such as *sessiontypes.Session) as its
// protobuf bytes, the chain's own encoding.
func ProtoCodec[M any, PM interface {
	*M
	protoMessage
}]() Codec[PM] {
	return Codec[PM]{
		Marshal: func(v PM) ([]byte, error) {
			if v == nil {
				return nil, errors.New("marshal nil message")
			}
			return v.Marshal()
		},
		Unmarshal: func(b []byte) (PM, error) {
			v := PM(new(M))
			if err := v.Unmarshal(b); err != nil {
				return nil, err
			}
			return v, nil
		},
	}
}

// Uint64Codec stores a uint64 as an unsigned varint.
func Uint64Codec() Codec[uint64] {
	return Codec[uint64]{
		Marshal: func(v uint64) ([]byte, error) { return binary.AppendUvarint(nil, v), nil },
		Unmarshal: func(b []byte) (uint64, error) {
			v, n := binary.Uvarint(b)
			if n <= 0 || n != len(b) {
				return 0, fmt.Errorf("decode uvarint of %d bytes", len(b))
			}
			return v, nil
		},
	}
}

// BytesListCodec stores a list of byte strings (for example the compressed public keys of a
// ring) as uvarint-length-prefixed items.
func BytesListCodec() Codec[[][]byte] {
	return Codec[[][]byte]{
		Marshal: func(v [][]byte) ([]byte, error) {
			var out []byte
			for _, b := range v {
				out = binary.AppendUvarint(out, uint64(len(b)))
				out = append(out, b...)
			}
			return out, nil
		},
		Unmarshal: func(b []byte) ([][]byte, error) {
			var out [][]byte
			for len(b) > 0 {
				n, k := binary.Uvarint(b)
				if k <= 0 || uint64(len(b)-k) < n {
					return nil, errors.New("decode bytes list: truncated item")
				}
				out = append(out, append([]byte(nil), b[k:k+int(n)]...))
				b = b[k+int(n):]
			}
			return out, nil
		},
	}
}
