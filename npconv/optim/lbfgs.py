"""L-BFGS (limited-memory BFGS), as torch.optim.LBFGS: one call of ``step(closure)`` runs up to ``max_iter``
quasi-Newton iterations on all parameters as one flat vector, optionally with the strong-Wolfe line search;
its arithmetic follows torch's (vectors in the parameters' dtype, scalars as torch keeps them)."""
import numpy as np

from ..autograd import enable_grad, no_grad
from .._tensor import Tensor
from .optimizer import Optimizer, _check_lr, _value

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, kept within ``bounds``
    (default: between x1 and x2); the middle of the bounds when the cubic has no minimum."""
    if bounds is None:
        bounds = (x1, x2) if x1 <= x2 else (x2, x1)
    low, high = bounds
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        position = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        position = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(position, low), high)


class _StrongWolfe:
    """A step length along ``d`` meeting the strong Wolfe conditions (sufficient decrease and curvature):
    extrapolate until a bracket holds one, then zoom in with cubic interpolation."""

    def __init__(self, evaluate, d, f, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
        self.evaluate, self.d, self.f, self.gtd = evaluate, d, f, gtd
        self.c1, self.c2, self.tolerance_change, self.max_ls = c1, c2, tolerance_change, max_ls
        self.evaluations = 0

    def _trial(self, t):
        loss, grad = self.evaluate(t)
        self.evaluations += 1
        return loss, grad, grad.dot(self.d)

    def _decreases_enough(self, t, f_new):
        return not f_new > self.f + self.c1 * t * self.gtd

    def _flat_enough(self, gtd_new):
        return abs(gtd_new) <= -self.c2 * self.gtd

    def search(self, t, g):
        """Returns (loss, flat gradient, step length, evaluations)."""
        g = g.copy()
        f_new, g_new, gtd_new = self._trial(t)
        previous = (0, self.f, g, self.gtd)
        done, ls_iter = False, 0
        while ls_iter < self.max_ls:
            if not self._decreases_enough(t, f_new) or (ls_iter > 1 and f_new >= previous[1]):
                bracket = [list(previous), [t, f_new, g_new.copy(), gtd_new]]
                break
            if self._flat_enough(gtd_new):
                bracket, done = [[t, f_new, g_new, None]], True
                break
            if gtd_new >= 0:  # past the minimum along d
                bracket = [list(previous), [t, f_new, g_new.copy(), gtd_new]]
                break
            t_prev = previous[0]
            step = _cubic_minimum(t_prev, previous[1], previous[3], t, f_new, gtd_new,
                                  bounds=(t + 0.01 * (t - t_prev), t * 10))
            previous = (t, f_new, g_new.copy(), gtd_new)
            t = step
            f_new, g_new, gtd_new = self._trial(t)
            ls_iter += 1
        if ls_iter == self.max_ls:
            bracket = [[0, self.f, g, None], [t, f_new, g_new, None]]
        best = self._zoom(bracket, done, ls_iter)
        return bracket[best][1], bracket[best][2], bracket[best][0], self.evaluations

    def _zoom(self, bracket, done, ls_iter):
        """Shrink the bracket [t, loss, grad, gtd] x 2 in place; returns the index of the best point."""
        insufficient_progress = False
        low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
        d_norm = np.abs(self.d).max()
        while not done and ls_iter < self.max_ls:
            if abs(bracket[1][0] - bracket[0][0]) * d_norm < self.tolerance_change:
                break
            t = _cubic_minimum(*bracket[0][:2], bracket[0][3], *bracket[1][:2], bracket[1][3])
            top, bottom = max(bracket[0][0], bracket[1][0]), min(bracket[0][0], bracket[1][0])
            eps = 0.1 * (top - bottom)
            if min(top - t, t - bottom) < eps:  # too near an end: move off it unless progress was fine
                if insufficient_progress or t >= top or t <= bottom:
                    t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                    insufficient_progress = False
                else:
                    insufficient_progress = True
            else:
                insufficient_progress = False
            f_new, g_new, gtd_new = self._trial(t)
            ls_iter += 1
            if not self._decreases_enough(t, f_new) or f_new >= bracket[low][1]:
                bracket[high] = [t, f_new, g_new.copy(), gtd_new]
                low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
            else:
                if self._flat_enough(gtd_new):
                    done = True
                elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                    bracket[high] = list(bracket[low])
                bracket[low] = [t, f_new, g_new.copy(), gtd_new]
        return low


class LBFGS(Optimizer):
    """L-BFGS over all parameters as one vector: the direction is the gradient times an inverse-Hessian
    estimate built from the last ``history_size`` steps and gradient changes; a fixed step ``lr`` (the first
    one scaled down by the gradient's L1 norm) or a strong-Wolfe line search. One parameter group only."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        _check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
                    "tolerance_change": tolerance_change, "history_size": history_size,
                    "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def _flat_grad(self):
        return np.concatenate([p.grad._data.reshape(-1) if p.grad is not None else np.zeros(p.numel(), p._data.dtype)
                               for p in self._params])

    def _add_to_params(self, step, direction):
        offset = 0
        for p in self._params:
            size = p.numel()
            p._data += direction[offset:offset + size].reshape(p._data.shape) * p._data.dtype.type(step)
            offset += size

    def _loss_and_grad_at(self, closure, start, t, d):
        """The closure's loss and gradient at start + t d; the parameters go back to ``start``."""
        self._add_to_params(t, d)
        with enable_grad():
            loss = float(closure())
        grad = self._flat_grad()
        for p, saved in zip(self._params, start):
            p._data[...] = saved
        return loss, grad

    def step(self, closure):
        """Run up to max_iter iterations; ``closure`` re-evaluates the loss (and gradients). Returns the loss
        of the first evaluation."""
        group = self.param_groups[0]
        lr, max_iter, max_eval = _value(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            first_loss = closure()
        loss = float(first_loss)
        evaluations = 1
        state["func_evals"] += 1
        with no_grad(), np.errstate(all="ignore"):
            flat_grad = self._flat_grad()
            if np.abs(flat_grad).max() <= tolerance_grad:
                return first_loss
            self._iterate(closure, state, group, loss, flat_grad, evaluations, lr, max_iter, max_eval,
                          tolerance_grad, tolerance_change)
        return first_loss

    def _iterate(self, closure, state, group, loss, flat_grad, evaluations, lr, max_iter, max_eval,
                 tolerance_grad, tolerance_change):
        d, t = _array_of(state.get("d")), _number(state.get("t"))
        old_dirs = [_array_of(v) for v in state.get("old_dirs", [])]
        old_stps = [_array_of(v) for v in state.get("old_stps", [])]
        ro = [_number(v) for v in state.get("ro", [])]
        h_diag, prev_flat_grad, prev_loss = _number(state.get("H_diag")), _array_of(state.get("prev_flat_grad")), \
            state.get("prev_loss")
        dt = flat_grad.dtype.type
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1
            else:
                h_diag = self._remember(flat_grad - prev_flat_grad, d * dt(t), old_dirs, old_stps, ro, h_diag,
                                        group["history_size"], dt)
                d = self._direction(state, flat_grad, old_dirs, old_stps, ro, h_diag, group["history_size"], dt)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, float(dt(1.0) / np.abs(flat_grad).sum(dtype=dt))) * lr if state["n_iter"] == 1 else lr
            gtd = flat_grad.dot(d)  # a scalar of the parameters' dtype, as torch's 0-d tensor
            if gtd > -tolerance_change:
                break
            spent = 0
            if group["line_search_fn"] is not None:
                if group["line_search_fn"] != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                start = [p._data.copy() for p in self._params]
                search = _StrongWolfe(lambda step: self._loss_and_grad_at(closure, start, step, d), d, loss, gtd,
                                      max_ls=max_eval - evaluations)
                loss, flat_grad, t, spent = search.search(t, flat_grad)
                self._add_to_params(t, d)
                converged = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_to_params(t, d)
                converged = False
                if n_iter != max_iter:
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = self._flat_grad()
                    converged = np.abs(flat_grad).max() <= tolerance_grad
                    spent = 1
            evaluations += spent
            state["func_evals"] += spent
            if (n_iter == max_iter or evaluations >= max_eval or converged
                    or np.abs(d * dt(t)).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                break
        state.update({"d": _tensor(d), "t": t, "old_dirs": [_tensor(v) for v in old_dirs],
                      "old_stps": [_tensor(v) for v in old_stps], "ro": ro, "H_diag": h_diag,
                      "prev_flat_grad": _tensor(prev_flat_grad), "prev_loss": prev_loss})

    @staticmethod
    def _remember(y, s, old_dirs, old_stps, ro, h_diag, history_size, dt):
        """Keep the pair (gradient change y, step s) when its curvature y.s is positive enough; returns the
        new scale of the initial inverse Hessian."""
        ys = y.dot(s)
        if ys > 1e-10:
            if len(old_dirs) == history_size:
                old_dirs.pop(0)
                old_stps.pop(0)
                ro.pop(0)
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(float(dt(1.0) / ys))
            h_diag = float(ys / y.dot(y))
        return h_diag

    @staticmethod
    def _direction(state, flat_grad, old_dirs, old_stps, ro, h_diag, history_size, dt):
        """The two-loop recursion: minus the gradient times the inverse-Hessian estimate."""
        al = state.setdefault("al", [None] * history_size)
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = float(dt(old_stps[i].dot(q)) * dt(ro[i]))
            q = q + old_dirs[i] * dt(-al[i])
        r = q * dt(h_diag)
        for i in range(len(old_dirs)):
            be_i = float(dt(old_dirs[i].dot(r)) * dt(ro[i]))
            r = r + old_stps[i] * dt(al[i] - be_i)
        return r


def _array_of(value):
    return value._data if isinstance(value, Tensor) else value


def _number(value):
    return float(value._data) if isinstance(value, Tensor) else value


def _tensor(array):
    return Tensor._make(array) if isinstance(array, np.ndarray) else array
