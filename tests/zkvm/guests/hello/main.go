// hello: the smallest guest; exercises the runtime start-up and fmt.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("hello, world")
	fmt.Fprintf(os.Stderr, "to stderr: %d %s %x\n", 42, "go", 3054)
}
