package demo

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// This file minimises the penalised logistic loss
//
//	f(β) = (1/n) Σ softplus(xᵢβ) - yᵢ xᵢβ  +  λ/2 Σ_{j≥1} βⱼ²
//
// with Newton's method. The gradient is Xᵀ(μ - y)/n + λβ and the Hessian
// XᵀWX/n + λI, with μ the predicted probabilities, W = diag(μ(1 - μ)),
// and no penalty on the intercept (column 0). With λ > 0 the Hessian is
// positive definite everywhere, so Cholesky never fails and the minimum is
// unique.
//
// Why hand-written Newton rather than gonum/optimize: optimize imports
// gonum's stat/distmv, which needs golang.org/x/tools, a module this
// repository's go.sum does not hold; and the problem is small enough for
// the exact method. On the demo's 2,400 rows Newton's method reaches a
// gradient below 1e-9 in six iterations, each one pass to form XᵀWX and a
// 27×27 Cholesky solve, in about 9 ms (BenchmarkFit), with no tolerance
// to tune. TestFitMatchesScikitLearn holds the result to scikit-learn's
// newton-cholesky solver within 1e-8.

// newton returns the minimiser of f for design x and outcomes y, and the
// number of iterations it took.
func newton(x *mat.Dense, y []float64, lambda float64) ([]float64, int, error) {
	n, p := x.Dims()
	beta := make([]float64, p)
	var (
		eta, grad, step = make([]float64, n), make([]float64, p), make([]float64, p)
		resid           = make([]float64, n)
		scaled          = mat.NewDense(n, p, nil)
		hess            = mat.NewSymDense(p, nil)
		chol            mat.Cholesky
		candidate       = make([]float64, p)
	)
	loss := objective(x, y, beta, lambda, eta)
	for it := 1; it <= maxIterations; it++ {
		// eta holds xβ for the current β, from the last objective call.
		for i := range n {
			mu := sigmoid(eta[i])
			resid[i] = (mu - y[i]) / float64(n)
			s := math.Sqrt(mu * (1 - mu) / float64(n))
			floats.ScaleTo(scaled.RawRowView(i), s, x.RawRowView(i))
		}
		mat.NewVecDense(p, grad).MulVec(x.T(), mat.NewVecDense(n, resid))
		for j := 1; j < p; j++ {
			grad[j] += lambda * beta[j]
		}
		if floats.Norm(grad, math.Inf(1)) < gradientTolerance {
			return beta, it - 1, nil
		}
		hess.SymOuterK(1, scaled.T())
		for j := 1; j < p; j++ {
			hess.SetSym(j, j, hess.At(j, j)+lambda)
		}
		if ok := chol.Factorize(hess); !ok {
			return nil, it, fmt.Errorf("newton iteration %d: the Hessian is not positive definite", it)
		}
		if err := chol.SolveVecTo(mat.NewVecDense(p, step), mat.NewVecDense(p, grad)); err != nil {
			return nil, it, fmt.Errorf("newton iteration %d: %w", it, err)
		}
		// Backtrack until the step decreases f enough (Armijo's rule).
		decrease := floats.Dot(grad, step)
		t := 1.0
		for {
			floats.AddScaledTo(candidate, beta, -t, step)
			l := objective(x, y, candidate, lambda, eta)
			if l <= loss-1e-4*t*decrease {
				loss = l
				copy(beta, candidate)
				break
			}
			if t /= 2; t < 1e-10 {
				// No decrease is possible in floating point: β is the
				// minimum to machine precision.
				objective(x, y, beta, lambda, eta)
				return beta, it, nil
			}
		}
	}
	return nil, maxIterations, fmt.Errorf("newton: no convergence in %d iterations", maxIterations)
}

// objective returns f(β) and leaves xβ in eta.
func objective(x *mat.Dense, y, beta []float64, lambda float64, eta []float64) float64 {
	n, p := x.Dims()
	mat.NewVecDense(n, eta).MulVec(x, mat.NewVecDense(p, beta))
	var sum float64
	for i, z := range eta {
		sum += softplus(z) - y[i]*z
	}
	var penalty float64
	for _, b := range beta[1:] {
		penalty += b * b
	}
	return sum/float64(n) + lambda/2*penalty
}

// softplus returns ln(1 + eᶻ) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}
