package catalog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/itemvec/itemvec/workers"
)

// Catalog is a catalog folder read back: what itemvec run uploads and
// enqueues (demo.RunJob takes it), and what tests check results against.
type Catalog struct {
	// Dir is the folder it was read from.
	Dir string
	// Bucket is the bucket the manifest's image URIs name.
	Bucket string
	// Products are catalog.json's entries, in id order.
	Products []Product
	// Lines are the manifest's lines without their newline, byte for byte;
	// Items are the same lines parsed. Both are in Products' order.
	Lines [][]byte
	Items []workers.Item
	// Images maps each object key to the local file holding its bytes.
	Images map[string]string
	// Groups are the near-duplicate groups: each an original's id followed by
	// its variants' ids. Products without variants are in no group.
	Groups [][]string
}

// Load reads the catalog folder dir that Prepare wrote, and checks that the
// manifest, catalog.json and images/ agree.
func Load(dir string) (*Catalog, error) {
	fail := func(path string, err error) (*Catalog, error) {
		return nil, newError(CodeCatalog, "Load", path, err)
	}
	catPath := filepath.Join(dir, CatalogFile)
	b, err := os.ReadFile(catPath)
	if err != nil {
		return fail(catPath, err)
	}
	var cj catalogJSON
	if err := json.Unmarshal(b, &cj); err != nil {
		return fail(catPath, err)
	}
	c := &Catalog{Dir: dir, Bucket: cj.Bucket, Products: cj.Products, Images: make(map[string]string, len(cj.Products))}

	manPath := filepath.Join(dir, ManifestFile)
	m, err := os.ReadFile(manPath)
	if err != nil {
		return fail(manPath, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(m))
	sc.Buffer(nil, len(m)+1)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var it workers.Item
		if err := json.Unmarshal(line, &it); err != nil {
			return fail(manPath, fmt.Errorf("line %d: %w", n, err))
		}
		c.Lines = append(c.Lines, bytes.Clone(line))
		c.Items = append(c.Items, it)
	}
	if err := sc.Err(); err != nil {
		return fail(manPath, err)
	}
	if len(c.Items) != len(c.Products) {
		return fail(manPath, fmt.Errorf("%d items for %d products in %s", len(c.Items), len(c.Products), CatalogFile))
	}

	members := make(map[string][]string)
	for i, p := range c.Products {
		if c.Items[i].ID != p.ID {
			return fail(manPath, fmt.Errorf("line %d is item %q, %s has %q there", i+1, c.Items[i].ID, CatalogFile, p.ID))
		}
		file := filepath.Join(dir, ImagesDir, filepath.FromSlash(p.Image))
		if _, err := os.Stat(file); err != nil {
			return fail(file, fmt.Errorf("picture of %s: %w", p.ID, err))
		}
		c.Images[p.Key] = file
		if p.DupOf != "" {
			members[p.DupOf] = append(members[p.DupOf], p.ID)
		}
	}
	for _, p := range c.Products {
		if vs, ok := members[p.ID]; ok {
			c.Groups = append(c.Groups, append([]string{p.ID}, vs...))
			delete(members, p.ID)
		}
	}
	for orig := range members {
		return fail(catPath, fmt.Errorf("dup_of names %q, which is not a product", orig))
	}
	return c, nil
}

// SameGroup reports whether a and b are near-duplicates of each other.
func (c *Catalog) SameGroup(a, b string) bool {
	for _, g := range c.Groups {
		if slices.Contains(g, a) && slices.Contains(g, b) {
			return true
		}
	}
	return false
}

// HasDuplicates reports whether id is in a near-duplicate group.
func (c *Catalog) HasDuplicates(id string) bool {
	for _, g := range c.Groups {
		if slices.Contains(g, id) {
			return true
		}
	}
	return false
}

// NearDuplicatePairs lists every pair of products in the same near-duplicate
// group, as item ids: original and variant, and two variants of the same
// original.
func (c *Catalog) NearDuplicatePairs() [][2]string {
	var pairs [][2]string
	for _, g := range c.Groups {
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				pairs = append(pairs, [2]string{g[i], g[j]})
			}
		}
	}
	return pairs
}
