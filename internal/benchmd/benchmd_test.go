package benchmd

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteSection(t *testing.T) {
	p := filepath.Join(t.TempDir(), "B.md")
	if err := WriteSection(p, "x", "## X", "one\n"); err != nil {
		t.Fatal(err)
	}
	if err := WriteSection(p, "y", "", "why\n"); err != nil {
		t.Fatal(err)
	}
	if err := WriteSection(p, "x", "## X", "two\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	want := "# Benchmarks\n\n## X\n\n<!-- x:begin -->\ntwo\n<!-- x:end -->\n\n<!-- y:begin -->\nwhy\n<!-- y:end -->\n"
	if string(b) != want {
		t.Fatalf("got\n%q\nwant\n%q", b, want)
	}
}

func TestCPU(t *testing.T) {
	if model, cores := CPU(); model == "" || cores < 0 {
		t.Fatalf("CPU() = %q, %d", model, cores)
	}
}
