package tfgraph

import (
	"fmt"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// DenseInputs describes a dense front end for a graph that reads a batch
// of token sequences in TensorFlow's sparse form: indices [n, 2] (sequence
// number, position) and values [n] (token ids), n being the total number
// of tokens.
//
// The ONNX graph then takes IDs and Mask instead, both int64 [batch,
// sequence] (a transformer tokenizer's input_ids and attention_mask), and
// builds the sparse pair from them inside the graph: the coordinates of the
// non-zero mask entries in row-major order (NonZero), with each token's
// position counted among its row's unmasked tokens (CumSum(mask) - 1), and
// the ids there (GatherND). A row's tokens so reach the TensorFlow graph as
// exactly the sparse entries the original pipeline feeds for that
// sequence, whatever the padding (right, left or in between).
//
// The sparse form alone cannot express empty sequences at the end of a
// batch (the graph's batch is the largest sequence number plus one, so
// they get no row), nor a batch of only empty sequences (nothing to
// compute on). So the front end appends one sentinel sequence after the
// batch, holding the single token SentinelID, and the converter drops its
// row from the output: every input row, empty or not, gets the row the
// TensorFlow graph itself computes for it, and the output has exactly
// batch rows. This relies on the graph computing each sequence
// independently of the others in the batch, which holds for a transformer
// encoder with per-sequence attention masks (and the parity tests check).
type DenseInputs struct {
	IndicesPlaceholder string // the [n, 2] coordinates placeholder
	ValuesPlaceholder  string // the [n] ids placeholder
	IDs                string // name of the ONNX input of token ids
	Mask               string // name of the ONNX input of the attention mask
	SentinelID         int64  // the token of the sentinel sequence: any valid id
}

// denseFrontEnd writes the inputs and the nodes that compute the sparse
// pair, and binds the two placeholders to them.
func (c *converter) denseFrontEnd(d *DenseInputs) error {
	const op = "dense front end"
	for _, name := range []string{d.IndicesPlaceholder, d.ValuesPlaceholder} {
		if n, ok := c.byName[name]; !ok || n.Op != "Placeholder" {
			return malformed(op, name, "no Placeholder of that name")
		}
	}
	params := map[int]string{0: BatchDim, 1: SequenceDim}
	c.graphInputs = append(c.graphInputs,
		valueInfo(d.IDs, onnx.TensorProto_INT64, []int64{-1, -1}, params),
		valueInfo(d.Mask, onnx.TensorProto_INT64, []int64{-1, -1}, params))
	c.report.Inputs = append(c.report.Inputs, d.IDs, d.Mask)
	c.names[d.IDs], c.names[d.Mask] = true, true

	const node = "dense"
	maskBool := c.tmp(node, "mask_bool")
	c.emit("Cast", maskBool, []string{d.Mask}, []string{maskBool}, attrInt("to", int64(onnx.TensorProto_BOOL)))
	nz := c.tmp(node, "nonzero")
	c.emit("NonZero", nz, []string{maskBool}, []string{nz})
	coords := c.tmp(node, "coords")
	c.emit("Transpose", coords, []string{nz}, []string{coords}, attrInts("perm", 1, 0))
	maskInt := c.tmp(node, "mask_int")
	c.emit("Cast", maskInt, []string{maskBool}, []string{maskInt}, attrInt("to", int64(onnx.TensorProto_INT64)))
	count := c.tmp(node, "count")
	c.emit("CumSum", count, []string{maskInt, c.int64Init(node, "axis1", nil, 1)}, []string{count})
	pos := c.tmp(node, "position")
	c.emit("Sub", pos, []string{count, c.int64Init(node, "one", nil, 1)}, []string{pos})
	tokenPos := c.tmp(node, "token_position")
	c.emit("GatherND", tokenPos, []string{pos, coords}, []string{tokenPos})
	rows := c.tmp(node, "row")
	c.emit("Gather", rows, []string{coords, c.int64Init(node, "zero", nil, 0)}, []string{rows}, attrInt("axis", 1))
	axis1 := c.vecInit(node, "axes1", 1)
	rowCol := c.tmp(node, "row_col")
	c.emit("Unsqueeze", rowCol, []string{rows, axis1}, []string{rowCol})
	posCol := c.tmp(node, "position_col")
	c.emit("Unsqueeze", posCol, []string{tokenPos, axis1}, []string{posCol})
	tokens := c.tmp(node, "token_indices")
	c.emit("Concat", tokens, []string{rowCol, posCol}, []string{tokens}, attrInt("axis", 1))
	tokenIDs := c.tmp(node, "token_ids")
	c.emit("GatherND", tokenIDs, []string{d.IDs, coords}, []string{tokenIDs})

	// The sentinel sequence: row batch, position 0, id SentinelID.
	c.batch = c.tmp(node, "batch")
	c.emit("Slice", c.batch, []string{c.shapeOfInput(node, d.IDs), c.vecInit(node, "batch_start", 0), c.vecInit(node, "batch_end", 1)}, []string{c.batch})
	sentinel := c.tmp(node, "sentinel_index")
	c.emit("Concat", sentinel, []string{c.batch, c.vecInit(node, "sentinel_position", 0)}, []string{sentinel}, attrInt("axis", 0))
	sentinelRow := c.tmp(node, "sentinel_index_row")
	c.emit("Unsqueeze", sentinelRow, []string{sentinel, c.vecInit(node, "axes0", 0)}, []string{sentinelRow})
	indices := c.tmp(node, "indices")
	c.emit("Concat", indices, []string{tokens, sentinelRow}, []string{indices}, attrInt("axis", 0))
	values := c.tmp(node, "values")
	c.emit("Concat", values, []string{tokenIDs, c.vecInit(node, "sentinel_id", d.SentinelID)}, []string{values}, attrInt("axis", 0))

	c.values[d.IndicesPlaceholder] = &value{name: indices, dtype: dtInt64, shape: knownShape(-1, 2)}
	c.values[d.ValuesPlaceholder] = &value{name: values, dtype: dtInt64, shape: knownShape(-1)}
	return nil
}

// checkDenseFed accepts a placeholder the dense front end feeds, if its
// declared dtype and shape match what the front end gives it.
func (c *converter) checkDenseFed(n *nodeDef, dtype dataType, s shape) error {
	d := c.opts.Dense
	var want shape
	switch n.Name {
	case d.IndicesPlaceholder:
		want = knownShape(-1, 2)
	case d.ValuesPlaceholder:
		want = knownShape(-1)
	default:
		return fmt.Errorf("placeholder is not fed by the dense front end")
	}
	if dtype != dtInt64 || !s.known || s.rank() != want.rank() || (want.rank() == 2 && s.dims[1] >= 0 && s.dims[1] != 2) {
		return fmt.Errorf("placeholder is %v %v, the dense front end gives int %v", dtype, s, want)
	}
	return nil
}

func (c *converter) shapeOfInput(node, input string) string {
	sh := c.tmp(node, input+"_shape")
	c.emit("Shape", sh, []string{input}, []string{sh})
	return sh
}

// dropSentinel returns the value of out without its last row, the
// sentinel sequence's.
func (c *converter) dropSentinel(out string) string {
	const node = "dense"
	kept := c.tmp(node, "output_rows")
	c.emit("Slice", kept, []string{out, c.vecInit(node, "rows_start", 0), c.batch, c.vecInit(node, "rows_axis", 0)}, []string{kept})
	return kept
}
