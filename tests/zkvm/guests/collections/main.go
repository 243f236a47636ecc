// collections: maps, slices, sorting, strings; deterministic output.
package main

import (
	"fmt"
	"sort"
	"strings"
)

type pair struct {
	word  string
	count int
}

func main() {
	text := "the quick brown fox jumps over the lazy dog the fox and the dog sleep"
	counts := map[string]int{}
	for _, w := range strings.Fields(text) {
		counts[w]++
	}
	var ps []pair
	for w, c := range counts {
		ps = append(ps, pair{w, c})
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].count != ps[j].count {
			return ps[i].count > ps[j].count
		}
		return ps[i].word < ps[j].word
	})
	for _, p := range ps {
		fmt.Printf("%-6s %d\n", p.word, p.count)
	}
	squares := make(map[int]int)
	var s []int
	for i := 0; i < 300; i++ {
		squares[i] = i * i
		s = append(s, (i*7919)%301)
	}
	sort.Ints(s)
	total := 0
	for k, v := range squares {
		total += k ^ v
	}
	fmt.Println(len(squares), total, s[:5], s[len(s)-3:], strings.Repeat("ab", 3))
}
