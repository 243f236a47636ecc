// readinput: line-oriented input; sums the integers it finds, echoes words upper-cased.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sum := int64(0)
	lines := 0
	for sc.Scan() {
		lines++
		for _, f := range strings.Fields(sc.Text()) {
			if n, err := strconv.ParseInt(f, 10, 64); err == nil {
				sum += n
			} else {
				fmt.Println(strings.ToUpper(f))
			}
		}
	}
	fmt.Printf("lines=%d sum=%d\n", lines, sum)
	if sum < 0 {
		os.Exit(4)
	}
}
