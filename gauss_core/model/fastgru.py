"""A bidirectional single-layer GRU with a hand-written backward pass, for fast CPU training.

Why: PyTorch's CPU GRU backpropagates through ~20 autograd nodes per time step and direction, with a
small weight-gradient matmul and gate concatenations at every step; at our sizes (batch 100, 20-40
steps, hidden 32-128) that bookkeeping costs as much as the arithmetic. Here
- both directions advance together (one batched matmul per step for the pair),
- the backward loop only carries the hidden-state gradient; all weight and input gradients are
  formed after the loop with ONE large matmul each,
- a time-constant input (the decoder's repeated latent vector) is projected once, not per step.

The maths is exactly nn.GRU's (gate order r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn));
h' = (1 - z) * n + z * h) and the parameters are the nn.GRU module's own, so checkpoints and
inference use the plain module; tests compare outputs and gradients with nn.GRU.
"""

from __future__ import annotations

import torch
from torch import nn


class _BiGRUFunction(torch.autograd.Function):
    """Inputs are time-major; weights stacked over direction (index 1 = reverse direction)."""

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, steps: int):
        # x: (L, B, In) time-major, or (B, In) when the input is the same at every step (steps = L).
        const = x.dim() == 2
        L = steps
        B = x.shape[-2]
        H = w_hh.shape[2]
        if const:
            xs = x.unsqueeze(0).expand(2, B, x.shape[1])
            gi = torch.baddbmm(b_ih.unsqueeze(1), xs, w_ih.transpose(1, 2))  # (2, B, 3H)
        else:
            xs = torch.stack([x, x.flip(0)]).reshape(2, L * B, x.shape[2])
            gi = torch.baddbmm(b_ih.unsqueeze(1), xs, w_ih.transpose(1, 2)).view(2, L, B, 3 * H)
        hs = x.new_zeros(2, L + 1, B, H)
        rz_all = x.new_empty(2, L, B, 2 * H)
        n_all = x.new_empty(2, L, B, H)
        hmn_all = x.new_empty(2, L, B, H)
        gh_all = x.new_empty(2, L, B, 3 * H)
        w_hh_t = w_hh.transpose(1, 2)
        b_hh_u = b_hh.unsqueeze(1)
        for s in range(L):
            h = hs[:, s]
            gh = torch.baddbmm(b_hh_u, h, w_hh_t, out=gh_all[:, s])
            g = gi if const else gi[:, s]
            rz = torch.sigmoid(g[..., :2 * H] + gh[..., :2 * H], out=rz_all[:, s])
            # tanh(a) = 2 sigmoid(2a) - 1: PyTorch's CPU sigmoid is vectorised, its tanh several times slower.
            a = torch.addcmul(g[..., 2 * H:], rz[..., :H], gh[..., 2 * H:]).mul_(2.0)
            n = torch.sigmoid(a, out=n_all[:, s]).mul_(2.0).sub_(1.0)
            hmn = torch.sub(h, n, out=hmn_all[:, s])
            torch.addcmul(n, rz[..., H:], hmn, out=hs[:, s + 1])
        ghn_all = gh_all[..., 2 * H:]
        ctx.save_for_backward(x, xs, w_ih, w_hh, hs, rz_all, n_all, hmn_all, ghn_all)
        ctx.const = const
        out = torch.cat([hs[0, 1:], hs[1, 1:].flip(0)], dim=-1)  # (L, B, 2H)
        return out

    @staticmethod
    def backward(ctx, d_out):
        x, xs, w_ih, w_hh, hs, rz_all, n_all, hmn_all, ghn_all = ctx.saved_tensors
        const = ctx.const
        L, B, H2 = d_out.shape
        H = H2 // 2
        d_out = d_out.contiguous()
        dH = torch.stack([d_out[..., :H], d_out[..., H:].flip(0)])  # (2, L, B, H) in step order
        d_gh = d_out.new_empty(2, L, B, 3 * H)
        dn_pre_all = d_out.new_empty(2, L, B, H)
        # Step-independent derivative factors, computed for all steps at once outside the loop.
        sig_grad = rz_all * (1.0 - rz_all)
        tanh_grad = 1.0 - n_all * n_all
        ghn_sig = ghn_all * sig_grad[..., :H]      # d r_pre / d n_pre factor
        hmn_sig = hmn_all * sig_grad[..., H:]      # d z_pre / d h' factor
        r_all = rz_all[..., :H]
        z_all = rz_all[..., H:]
        dh = torch.zeros_like(dH[:, 0])
        for s in range(L - 1, -1, -1):
            dh = dh + dH[:, s]
            dhz = dh * z_all[:, s]
            dn_pre = torch.mul(dh - dhz, tanh_grad[:, s], out=dn_pre_all[:, s])
            torch.mul(dn_pre, ghn_sig[:, s], out=d_gh[:, s, :, :H])
            torch.mul(dh, hmn_sig[:, s], out=d_gh[:, s, :, H:2 * H])
            torch.mul(dn_pre, r_all[:, s], out=d_gh[:, s, :, 2 * H:])
            dh = torch.baddbmm(dhz, d_gh[:, s], w_hh)
        d_gh_flat = d_gh.view(2, L * B, 3 * H)
        d_w_hh = torch.bmm(d_gh_flat.transpose(1, 2), hs[:, :L].reshape(2, L * B, H))
        d_b_hh = d_gh_flat.sum(1)
        d_gi = torch.cat([d_gh[..., :2 * H], dn_pre_all], dim=-1)  # (2, L, B, 3H)
        d_x = None
        if const:
            d_gi = d_gi.sum(1)  # (2, B, 3H)
            d_w_ih = torch.bmm(d_gi.transpose(1, 2), xs)
            d_b_ih = d_gi.sum(1)
            if ctx.needs_input_grad[0]:
                d_x = torch.bmm(d_gi, w_ih).sum(0)
        else:
            flat = d_gi.view(2, L * B, 3 * H)
            d_w_ih = torch.bmm(flat.transpose(1, 2), xs)
            d_b_ih = flat.sum(1)
            if ctx.needs_input_grad[0]:
                dxs = torch.bmm(flat, w_ih).view(2, L, B, -1)
                d_x = dxs[0] + dxs[1].flip(0)
        return d_x, d_w_ih, d_w_hh, d_b_ih, d_b_hh, None


def bigru_time_major(gru: nn.GRU, x: torch.Tensor, steps: int | None = None) -> torch.Tensor:
    """Run a 1-layer bidirectional nn.GRU (its own parameters) with the fast backward.

    Args:
        gru: nn.GRU(num_layers=1, bidirectional=True, bias=True).
        x: (L, B, In) time-major input, or (B, In) for an input repeated over `steps` steps.
    Returns:
        (L, B, 2H) outputs, forward direction first (as nn.GRU).
    """
    w_ih = torch.stack([gru.weight_ih_l0, gru.weight_ih_l0_reverse])
    w_hh = torch.stack([gru.weight_hh_l0, gru.weight_hh_l0_reverse])
    b_ih = torch.stack([gru.bias_ih_l0, gru.bias_ih_l0_reverse])
    b_hh = torch.stack([gru.bias_hh_l0, gru.bias_hh_l0_reverse])
    L = x.shape[0] if x.dim() == 3 else int(steps)
    return _BiGRUFunction.apply(x, w_ih, w_hh, b_ih, b_hh, L)


@torch.no_grad()
def bigru_infer_time_major(gru: nn.GRU, x: torch.Tensor, steps: int | None = None) -> torch.Tensor:
    """Inference-only forward of bigru_time_major (nothing saved for backward).

    Same maths and parameters as nn.GRU; faster on CPU mainly because a time-constant input is projected
    once and tanh is evaluated through the vectorised sigmoid.
    """
    const = x.dim() == 2
    L = x.shape[0] if not const else int(steps)
    B = x.shape[-2]
    H = gru.hidden_size
    w_ih = torch.stack([gru.weight_ih_l0, gru.weight_ih_l0_reverse]).transpose(1, 2)
    w_hh = torch.stack([gru.weight_hh_l0, gru.weight_hh_l0_reverse]).transpose(1, 2)
    b_ih = torch.stack([gru.bias_ih_l0, gru.bias_ih_l0_reverse]).unsqueeze(1)
    b_hh = torch.stack([gru.bias_hh_l0, gru.bias_hh_l0_reverse]).unsqueeze(1)
    if const:
        gi = torch.baddbmm(b_ih, x.unsqueeze(0).expand(2, B, x.shape[1]), w_ih)
    else:
        xs = torch.stack([x, x.flip(0)]).reshape(2, L * B, x.shape[2])
        gi = torch.baddbmm(b_ih, xs, w_ih).view(2, L, B, 3 * H)
    hs = x.new_empty(2, L, B, H)
    h = x.new_zeros(2, B, H)
    for s in range(L):
        gh = torch.baddbmm(b_hh, h, w_hh)
        g = gi if const else gi[:, s]
        rz = torch.sigmoid(g[..., :2 * H] + gh[..., :2 * H])
        n = torch.sigmoid(torch.addcmul(g[..., 2 * H:], rz[..., :H], gh[..., 2 * H:]).mul_(2.0)).mul_(2.0).sub_(1.0)
        h = torch.addcmul(n, rz[..., H:], h - n, out=hs[:, s])
    return torch.cat([hs[0], hs[1].flip(0)], dim=-1)
