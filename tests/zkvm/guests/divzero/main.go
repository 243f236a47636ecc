// divzero: integer division by zero. Go checks the divisor itself (it branches to
// runtime.panicdivide; no teq, no SIGFPE), so the panic is an ordinary Go panic.
package main

import (
	"fmt"
	"io"
	"os"
)

func div(a, b int32) (q int32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return a / b, nil
}

func main() {
	in, _ := io.ReadAll(os.Stdin)
	d := int32(len(in)) // 0 without input
	q, err := div(7, d)
	fmt.Println("recovered:", q, err)
	fmt.Println(int64(len(in)+5) % int64(d))
}
