package tensor

import "testing"

func TestResizeReusesStorage(t *testing.T) {
	a := New(4, 6)
	data := &a.Data[0]
	b := Resize(a, 2, 3, 2)
	if b != a || &b.Data[0] != data || len(b.Data) != 12 || !SameShape(b.Shape, []int{2, 3, 2}) {
		t.Fatalf("Resize to a smaller shape: got %v with %d values, want the same storage", b.Shape, len(b.Data))
	}
	c := Resize(b, 5, 5)
	if len(c.Data) != 25 || !SameShape(c.Shape, []int{5, 5}) {
		t.Fatalf("Resize to a larger shape: got %v with %d values", c.Shape, len(c.Data))
	}
	if n := testing.AllocsPerRun(10, func() { Resize(c, 5, 4) }); n != 0 {
		t.Errorf("Resize within capacity allocates %v times", n)
	}
	if d := Resize(nil, 3); len(d.Data) != 3 {
		t.Errorf("Resize(nil) gave %d values", len(d.Data))
	}
}

func TestViewAndRows(t *testing.T) {
	x := FromData([]float32{0, 1, 2, 3, 4, 5}, 3, 2)
	v := View(nil, x, 2, 3)
	v.Data[4] = 40
	if x.Data[4] != 40 {
		t.Error("View does not share storage")
	}
	r := x.Rows(1, 3)
	if !SameShape(r.Shape, []int{2, 2}) || r.Data[0] != 2 || len(r.Data) != 4 {
		t.Errorf("Rows(1, 3) = %v %v", r.Shape, r.Data)
	}
	defer func() {
		if recover() == nil {
			t.Error("View with a mismatched size did not panic")
		}
	}()
	View(nil, x, 4, 2)
}
