// nilderef: nil-pointer dereferences turned into Go panics by the SIGSEGV handler.
// The first is recovered; with input starting "crash" the last one is not (exit 2).
package main

import (
	"fmt"
	"io"
	"os"
)

type node struct {
	val  int
	next *node
}

func field(p *node) (v int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	return p.next.val, nil
}

func main() {
	in, _ := io.ReadAll(os.Stdin)
	n := &node{val: 1}
	for i := 0; i < 3; i++ {
		v, err := field(n)
		fmt.Println(i, v, err)
		n.next = &node{val: 10 * (i + 1)}
	}
	var m map[string]int
	fmt.Println("nil map read:", m["x"])
	if len(in) >= 5 && string(in[:5]) == "crash" {
		var p *node
		fmt.Println(p.val)
	}
	fmt.Println("done")
}
