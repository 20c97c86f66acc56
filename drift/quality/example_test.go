package quality_test

import (
	"fmt"

	"github.com/driftwatch/driftwatch/drift/quality"
)

// A collector maps each joined (label, prediction) event to class indices,
// feeds the window's Confusion, and at the end of the window checks the
// configured metric against its threshold.
func ExampleConfusion() {
	labels, err := quality.NewLabelSet("ham", "spam")
	if err != nil {
		panic(err)
	}
	spam, _ := labels.Index("spam")
	window, err := quality.NewConfusion(labels.Len(), spam)
	if err != nil {
		panic(err)
	}
	events := [][2]string{
		{"spam", "spam"}, {"spam", "ham"}, {"ham", "ham"},
		{"ham", "spam"}, {"spam", "spam"}, {"ham", "ham"},
	}
	for _, e := range events {
		truth, _ := labels.Index(e[0])
		pred, _ := labels.Index(e[1])
		if err := window.Add(truth, pred); err != nil {
			panic(err)
		}
	}
	f1, err := window.Value(quality.F1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("f1 %.4f, breaches 0.8: %v\n", f1, quality.F1.Breaches(f1, 0.8))
	// Output: f1 0.6667, breaches 0.8: true
}

// Past its capacity a Scores samples the pairs it keeps for ROC AUC, while
// log loss stays exact.
func ExampleScores() {
	window, err := quality.NewScores(4, 1)
	if err != nil {
		panic(err)
	}
	for i, p := range []float64{0.9, 0.2, 0.7, 0.4} {
		if err := window.Add(i%2 == 0, p); err != nil {
			panic(err)
		}
	}
	auc, _ := window.Value(quality.ROCAUC)
	loss, _ := window.Value(quality.LogLoss)
	fmt.Printf("auc %.2f exact %v, log loss %.4f\n", auc, window.Exact(), loss)
	// Output: auc 1.00 exact true, log loss 0.2990
}
