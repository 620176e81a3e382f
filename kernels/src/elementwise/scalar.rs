//! References for the elementwise kernels: plain loops that read like the math.
//! Callers have checked the lengths.

/// `y = max(x, 0)`.
pub fn relu_forward(x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = if x > 0.0 { x } else { 0.0 };
    }
}

/// `dx += dy · 1[x > 0]` (ReLU'(0) = 0).
pub fn relu_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    for ((dx, &dy), &x) in dx.iter_mut().zip(dy).zip(x) {
        if x > 0.0 {
            *dx += dy;
        }
    }
}

/// `x[i, j] += bias[j]`.
pub fn bias_add(x: &mut [f32], bias: &[f32]) {
    if bias.is_empty() {
        return;
    }
    for row in x.chunks_exact_mut(bias.len()) {
        for (x, &b) in row.iter_mut().zip(bias) {
            *x += b;
        }
    }
}

/// `dbias[j] += Σ_i dy[i, j]`, summed in row order.
pub fn bias_grad(dy: &[f32], dbias: &mut [f32]) {
    if dbias.is_empty() {
        return;
    }
    for row in dy.chunks_exact(dbias.len()) {
        for (db, &g) in dbias.iter_mut().zip(row) {
            *db += g;
        }
    }
}

/// `y = sign(v)·max(|v| − θ, 0)`.
pub fn soft_threshold_forward(v: &[f32], theta: &[f32], y: &mut [f32]) {
    if theta.is_empty() {
        return;
    }
    for (vrow, yrow) in v.chunks_exact(theta.len()).zip(y.chunks_exact_mut(theta.len())) {
        for ((y, &v), &t) in yrow.iter_mut().zip(vrow).zip(theta) {
            let shrunk = v.abs() - t;
            *y = if shrunk > 0.0 { shrunk.copysign(v) } else { 0.0 };
        }
    }
}

/// `dv += dy·1[|v| > θ]`, `dθ += Σ_rows −sign(v)·dy·1[|v| > θ]`.
pub fn soft_threshold_backward(v: &[f32], theta: &[f32], dy: &[f32], dv: &mut [f32], dtheta: &mut [f32]) {
    let cols = theta.len();
    if cols == 0 {
        return;
    }
    let rows = v.chunks_exact(cols).zip(dy.chunks_exact(cols)).zip(dv.chunks_exact_mut(cols));
    for ((vrow, dyrow), dvrow) in rows {
        for j in 0..cols {
            if vrow[j].abs() > theta[j] {
                dvrow[j] += dyrow[j];
                dtheta[j] -= vrow[j].signum() * dyrow[j];
            }
        }
    }
}
