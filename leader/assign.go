package leader

import (
	"hash/fnv"
	"sort"
)

// assign spreads suppliers over replicas: every replica gets at most ceil(N/R) suppliers and
// each supplier goes to the replica it ranks highest among those with room left. Ranks come
// from rendezvous hashing of (supplier, replica), and pairs are placed best score first, so the
// result depends only on the two sets (every replica computes the same answer from the same
// view) and a change of membership moves few suppliers. It returns supplier → replica.
func assign(suppliers, replicas []string) map[string]string {
	out := make(map[string]string, len(suppliers))
	if len(suppliers) == 0 || len(replicas) == 0 {
		return out
	}
	quota := (len(suppliers) + len(replicas) - 1) / len(replicas)
	type pair struct {
		score uint64
		s, r  int
	}
	pairs := make([]pair, 0, len(suppliers)*len(replicas))
	for si, s := range suppliers {
		for ri, r := range replicas {
			pairs = append(pairs, pair{score: rendezvous(s, r), s: si, r: ri})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		a, b := pairs[i], pairs[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if suppliers[a.s] != suppliers[b.s] {
			return suppliers[a.s] < suppliers[b.s]
		}
		return replicas[a.r] < replicas[b.r]
	})
	load := make([]int, len(replicas))
	for _, p := range pairs {
		s := suppliers[p.s]
		if _, done := out[s]; done || load[p.r] >= quota {
			continue
		}
		out[s] = replicas[p.r]
		load[p.r]++
		if len(out) == len(suppliers) {
			break
		}
	}
	return out
}

// share returns the suppliers assign gives to replica.
func share(suppliers, replicas []string, replica string) map[string]bool {
	mine := make(map[string]bool)
	for s, r := range assign(suppliers, replicas) {
		if r == replica {
			mine[s] = true
		}
	}
	return mine
}

// rendezvous is the weight of (supplier, replica): FNV-1a of both, finished with a 64-bit mixer
// so that nearby ids spread evenly.
func rendezvous(supplier, replica string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(supplier))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(replica))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
