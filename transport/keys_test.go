package transport

import (
	"strings"
	"testing"
)

func TestSupplierKeysShareHashTag(t *testing.T) {
	k := MustKeys("")
	op := "pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj"
	for _, key := range []string{
		k.RelayStream(op), k.TreeNodes(op, "s1"), k.TreeMeta(op, "s1"), k.Session(op, "s1"),
		k.SessionIndex(op), k.Submissions(op), k.Meter(op, "s1"), k.SupplierLease(op),
		k.FencingCounter(k.SupplierLease(op)),
	} {
		if got := hashTag(key); got != op {
			t.Errorf("%s: hash tag %q, want %q", key, got, op)
		}
		if !strings.HasPrefix(key, "prm:v1:") {
			t.Errorf("%s: missing prefix", key)
		}
	}
}

func TestDistinctSuppliersNeverShareKeys(t *testing.T) {
	k := MustKeys("x")
	a, b := "pokt1a", "pokt1b"
	if k.TreeNodes(a, "s") == k.TreeNodes(b, "s") {
		t.Fatal("two suppliers in one session share tree keys")
	}
}

func TestPrefixRejectsBraces(t *testing.T) {
	for _, p := range []string{"a{b", "a}b", "a b"} {
		if _, err := NewKeys(p); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

// hashTag mirrors Redis Cluster's rule: the text between the first '{' and the next '}'.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return ""
	}
	return key[i+1 : i+1+j]
}

func TestCacheKeysOfOneKindAreDistinct(t *testing.T) {
	k := MustKeys("")
	keys := []string{k.CacheEntry("application", "a"), k.CacheLock("application", "a"), k.CacheLiveKeys("application")}
	seen := map[string]bool{}
	for _, key := range keys {
		if seen[key] || !strings.HasPrefix(key, "prm:v1:") || hashTag(key) != "" {
			t.Errorf("cache key %q: duplicate, unprefixed or hash-tagged", key)
		}
		seen[key] = true
	}
}
