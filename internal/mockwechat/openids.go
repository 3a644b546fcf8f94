package mockwechat

import "math/rand/v2"

// GenerateOpenIDs returns n distinct openids shaped like the real ones: "o",
// five characters shared by every openid of one seed (real openids of one
// account share a prefix, e.g. "ocYxcu"), then 22 per-user characters of
// [A-Za-z0-9_-]; 28 in all. The same n and seed always give the same list,
// and a list for n is a prefix of the list for any larger n.
func GenerateOpenIDs(n int, seed int64) []string {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)) //nolint:gosec // a negative seed is as good a seed as any
	random := func(k int) string {
		b := make([]byte, k)
		for i := range b {
			b[i] = idAlphabet[rng.IntN(len(idAlphabet))]
		}
		return string(b)
	}
	prefix := "o" + random(5)
	ids := make([]string, 0, max(n, 0))
	seen := make(map[string]bool, max(n, 0))
	for len(ids) < n {
		if id := prefix + random(22); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}
