package tokenizer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

func init() {
	registerPostProcessor("TemplateProcessing", decodeTemplate)
	registerPostProcessor("BertProcessing", decodeBertProcessing)
	registerPostProcessor("RobertaProcessing", decodeRobertaProcessing)
	// ByteLevel only trims offsets, which this package does not report.
	registerPostProcessor("ByteLevel", func(json.RawMessage) (postProcessor, error) { return byteLevelProcessing{}, nil })
	registerPostProcessor("Sequence", decodePostProcessorSequence)
}

// templatePiece is one element of a template: a special token or one of
// the sequences, with the type id its tokens get.
type templatePiece struct {
	// special is the key of the special token, "" for a sequence.
	special string
	// second is true for sequence B.
	second bool
	typeID int64
}

// specialToken is an entry of "special_tokens": one template token may
// stand for several ids.
type specialToken struct {
	IDs    []int64  `json:"ids"`
	Tokens []string `json:"tokens"`
}

// template is {"type": "TemplateProcessing"}, and how BertProcessing and
// RobertaProcessing are run.
type template struct {
	single, pair []templatePiece
	specials     map[string]specialToken
}

func (t *template) addedTokens(pair bool) int {
	pieces := t.single
	if pair {
		pieces = t.pair
	}
	n := 0
	for _, p := range pieces {
		if p.special != "" {
			n += len(t.specials[p.special].IDs)
		}
	}
	return n
}

func (t *template) process(seqs []*Encoding) []*Encoding {
	pieces := t.single
	if len(seqs) > 1 {
		pieces = t.pair
	}
	out := &Encoding{}
	n := t.addedTokens(len(seqs) > 1)
	for _, s := range seqs {
		n += s.Len()
	}
	out.grow(n)
	for _, p := range pieces {
		if p.special != "" {
			sp := t.specials[p.special]
			for i, id := range sp.IDs {
				out.push(id, sp.Tokens[i], p.typeID)
			}
			continue
		}
		i := 0
		if p.second {
			i = 1
		}
		if i < len(seqs) {
			out.appendEncoding(seqs[i], p.typeID)
		}
	}
	return []*Encoding{out}
}

func decodeTemplate(raw json.RawMessage) (postProcessor, error) {
	cfg := struct {
		Single        json.RawMessage         `json:"single"`
		Pair          json.RawMessage         `json:"pair"`
		SpecialTokens map[string]specialToken `json:"special_tokens"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	t := &template{specials: cfg.SpecialTokens}
	var err error
	if t.single, err = parseTemplate(cfg.Single); err != nil {
		return nil, fmt.Errorf("single: %w", err)
	}
	if t.pair, err = parseTemplate(cfg.Pair); err != nil {
		return nil, fmt.Errorf("pair: %w", err)
	}
	for _, p := range append(t.single, t.pair...) {
		if p.special == "" {
			continue
		}
		sp, ok := t.specials[p.special]
		if !ok {
			return nil, fmt.Errorf("template uses special token %q that special_tokens does not define", p.special)
		}
		if len(sp.IDs) != len(sp.Tokens) {
			return nil, fmt.Errorf("special token %q has %d ids but %d tokens", p.special, len(sp.IDs), len(sp.Tokens))
		}
	}
	return t, nil
}

// parseTemplate reads a template as a list of pieces
// ([{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}])
// or as the string form ("[CLS] $A [SEP]").
func parseTemplate(raw json.RawMessage) ([]templatePiece, error) {
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		return parseTemplateString(str)
	}
	var items []struct {
		SpecialToken *struct {
			ID     string `json:"id"`
			TypeID int64  `json:"type_id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID     string `json:"id"`
			TypeID int64  `json:"type_id"`
		} `json:"Sequence"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	out := make([]templatePiece, 0, len(items))
	for _, it := range items {
		switch {
		case it.SpecialToken != nil:
			out = append(out, templatePiece{special: it.SpecialToken.ID, typeID: it.SpecialToken.TypeID})
		case it.Sequence != nil && (it.Sequence.ID == "A" || it.Sequence.ID == "B"):
			out = append(out, templatePiece{second: it.Sequence.ID == "B", typeID: it.Sequence.TypeID})
		default:
			return nil, fmt.Errorf("template piece is neither a SpecialToken nor Sequence A or B")
		}
	}
	return out, nil
}

// parseTemplateString reads "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1", where $A
// (or $0, $) is the first sequence, $B (or $1) the second and ":n" a type id.
func parseTemplateString(s string) ([]templatePiece, error) {
	var out []templatePiece
	for _, f := range strings.Fields(s) {
		name, typ := f, int64(0)
		if i := strings.LastIndexByte(f, ':'); i > 0 {
			if n, err := strconv.ParseInt(f[i+1:], 10, 64); err == nil {
				name, typ = f[:i], n
			}
		}
		switch name {
		case "$", "$A", "$0":
			out = append(out, templatePiece{typeID: typ})
		case "$B", "$1":
			out = append(out, templatePiece{second: true, typeID: typ})
		default:
			if strings.HasPrefix(name, "$") {
				if n, err := strconv.ParseInt(name[1:], 10, 64); err == nil {
					out = append(out, templatePiece{typeID: n})
					continue
				}
				return nil, fmt.Errorf("unknown sequence %q in template", name)
			}
			out = append(out, templatePiece{special: name, typeID: typ})
		}
	}
	return out, nil
}

// tokenAndID is how BertProcessing and RobertaProcessing write a special
// token: ["[SEP]", 102].
type tokenAndID struct {
	token string
	id    int64
}

func (t *tokenAndID) UnmarshalJSON(data []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(data, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("special token is not a [token, id] pair")
	}
	if err := json.Unmarshal(pair[0], &t.token); err != nil {
		return err
	}
	return json.Unmarshal(pair[1], &t.id)
}

// clsSepSpecials reads the cls and sep tokens of a BertProcessing or
// RobertaProcessing config as the specials of its template.
func clsSepSpecials(raw json.RawMessage) (map[string]specialToken, error) {
	cfg := struct {
		Sep tokenAndID `json:"sep"`
		Cls tokenAndID `json:"cls"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	return map[string]specialToken{
		"cls": {IDs: []int64{cfg.Cls.id}, Tokens: []string{cfg.Cls.token}},
		"sep": {IDs: []int64{cfg.Sep.id}, Tokens: []string{cfg.Sep.token}},
	}, nil
}

func decodeBertProcessing(raw json.RawMessage) (postProcessor, error) {
	specials, err := clsSepSpecials(raw)
	if err != nil {
		return nil, err
	}
	// [CLS] A [SEP] and [CLS] A [SEP] B [SEP], B's part with type id 1.
	return &template{
		single:   []templatePiece{{special: "cls"}, {}, {special: "sep"}},
		pair:     []templatePiece{{special: "cls"}, {}, {special: "sep"}, {second: true, typeID: 1}, {special: "sep", typeID: 1}},
		specials: specials,
	}, nil
}

func decodeRobertaProcessing(raw json.RawMessage) (postProcessor, error) {
	// trim_offsets and add_prefix_space only move offsets.
	specials, err := clsSepSpecials(raw)
	if err != nil {
		return nil, err
	}
	// <s> A </s> and <s> A </s></s> B </s>, every type id 0.
	return &template{
		single:   []templatePiece{{special: "cls"}, {}, {special: "sep"}},
		pair:     []templatePiece{{special: "cls"}, {}, {special: "sep"}, {special: "sep"}, {second: true}, {special: "sep"}},
		specials: specials,
	}, nil
}

// byteLevelProcessing is the ByteLevel post-processor: ids unchanged.
type byteLevelProcessing struct{}

func (byteLevelProcessing) addedTokens(bool) int                 { return 0 }
func (byteLevelProcessing) process(seqs []*Encoding) []*Encoding { return seqs }

// postProcessorSequence is {"type": "Sequence"}: each processor works on
// what the one before returned.
type postProcessorSequence []postProcessor

func decodePostProcessorSequence(raw json.RawMessage) (postProcessor, error) {
	cfg := struct {
		Processors []json.RawMessage `json:"processors"`
	}{}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, err
	}
	seq := make(postProcessorSequence, 0, len(cfg.Processors))
	for _, r := range cfg.Processors {
		p, err := decodePostProcessor(r)
		if err != nil {
			return nil, err
		}
		if p != nil {
			seq = append(seq, p)
		}
	}
	return seq, nil
}

func (seq postProcessorSequence) addedTokens(pair bool) int {
	n := 0
	for _, p := range seq {
		n += p.addedTokens(pair)
	}
	return n
}

func (seq postProcessorSequence) process(seqs []*Encoding) []*Encoding {
	for _, p := range seq {
		seqs = p.process(seqs)
	}
	return seqs
}
