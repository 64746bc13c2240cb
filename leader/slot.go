package leader

import (
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
)

// clusterSlots is the number of hash slots of Redis Cluster.
const clusterSlots = 16384

// keySlot returns the Redis Cluster hash slot of key: CRC16 (XMODEM) of its hash tag, or of the
// whole key when it has none, modulo 16384.
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16(key) % clusterSlots)
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the checksum Redis Cluster uses.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// isCluster reports whether c routes keys by slot.
func isCluster(c redis.UniversalClient) bool {
	_, ok := c.(*redis.ClusterClient)
	return ok
}

// groupBySlot splits fences into groups a single script may touch: one group on a standalone
// or Sentinel client, one per hash slot on a Cluster client. Groups come in slot order so that
// rounds are reproducible.
func groupBySlot(fences []Fence, cluster bool) [][]Fence {
	if len(fences) == 0 {
		return nil
	}
	if !cluster {
		return [][]Fence{fences}
	}
	bySlot := make(map[int][]Fence)
	for _, f := range fences {
		s := keySlot(f.Key)
		bySlot[s] = append(bySlot[s], f)
	}
	slots := make([]int, 0, len(bySlot))
	for s := range bySlot {
		slots = append(slots, s)
	}
	sort.Ints(slots)
	out := make([][]Fence, 0, len(slots))
	for _, s := range slots {
		out = append(out, bySlot[s])
	}
	return out
}
