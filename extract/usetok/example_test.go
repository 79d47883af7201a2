package usetok_test

import (
	"fmt"

	"github.com/itemvec/itemvec/extract/usetok"
)

func Example() {
	// A real vocabulary is Load(".deps/use/vocab.json"); this one has the
	// reserved pieces, "▁", two words and their letters.
	tok, err := usetok.Parse([]byte(`[["\ufffd",0],["<s>",0],["</s>",0],["x1",0],["x2",0],["x3",0],
		["\u2581",-3],["\u2581red",-5],["\u2581mug",-6],["s",-2],
		["r",-9],["e",-9],["d",-9],["m",-9],["u",-9],["g",-9]]`))
	if err != nil {
		panic(err)
	}
	for _, text := range []string{"red mugs", "红色杯子"} {
		ids, err := tok.Encode(text)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %v, unknown %.0f%%\n", text, ids, 100*tok.UnknownRatio(ids))
	}
	// Output:
	// red mugs: [7 8 9], unknown 0%
	// 红色杯子: [6 0], unknown 100%
}
