// validate_attention.cpp - the ABI boundary's checks for temporal_attention (OPS.md). The small
// tensor helpers mirror validate.cpp's (they are file-local there).
#include <cmath>
#include <string>

#include "errors.h"
#include "validate.h"

namespace {

constexpr int64_t kMaxElements = int64_t(1) << 48;
constexpr int64_t kMaxFrames = int64_t(1) << 20;  // rel_bias length 2*Tmax-1 stays far from overflow

std::string shape_string(const int64_t *shape, int rank) {
    std::string s = "[";
    for (int i = 0; i < rank; ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

std::string shape_string(const kn_tensor &t) {
    const int rank = t.rank < 0 ? 0 : (t.rank > KN_MAX_RANK ? KN_MAX_RANK : t.rank);
    return shape_string(t.shape, rank);
}

const char *dtype_name(int32_t dtype) {
    switch (dtype) {
        case KN_DTYPE_F32: return "f32";
        case KN_DTYPE_F16: return "f16";
        case KN_DTYPE_BF16: return "bf16";
        default: return "unknown";
    }
}

bool check_tensor(const char *op, const char *name, const kn_tensor &t, int expected_rank) {
    if (t.data == nullptr) {
        kn_set_error("%s: argument '%s': expected a tensor, got NULL data", op, name);
        return false;
    }
    if (t.dtype != KN_DTYPE_F32 && t.dtype != KN_DTYPE_F16 && t.dtype != KN_DTYPE_BF16) {
        kn_set_error("%s: argument '%s': expected dtype 0 (f32), 1 (f16) or 2 (bf16), got %d", op, name, t.dtype);
        return false;
    }
    if (t.rank != expected_rank) {
        kn_set_error("%s: argument '%s': expected rank %d, got %d", op, name, expected_rank, t.rank);
        return false;
    }
    int64_t numel = 1;
    for (int i = 0; i < t.rank; ++i) {
        if (t.shape[i] < 0) {
            kn_set_error("%s: argument '%s': expected non-negative sizes, got shape %s", op, name,
                         shape_string(t).c_str());
            return false;
        }
        if (t.shape[i] > 0 && numel > kMaxElements / t.shape[i]) {
            kn_set_error("%s: argument '%s': expected at most 2^48 elements, got shape %s", op, name,
                         shape_string(t).c_str());
            return false;
        }
        numel *= t.shape[i];
    }
    // Dense row-major strides; a dimension of size 1 may carry any stride.
    int64_t expected = 1;
    for (int i = t.rank - 1; i >= 0; --i) {
        if (t.shape[i] != 1 && t.strides[i] != expected) {
            int64_t want[KN_MAX_RANK];
            int64_t s = 1;
            for (int j = t.rank - 1; j >= 0; --j) {
                want[j] = s;
                s *= t.shape[j];
            }
            kn_set_error("%s: argument '%s': expected contiguous strides %s, got %s", op, name,
                         shape_string(want, t.rank).c_str(), shape_string(t.strides, t.rank).c_str());
            return false;
        }
        expected *= t.shape[i];
    }
    return true;
}

bool check_shape(const char *op, const char *name, const kn_tensor &t, const int64_t *want, int rank) {
    bool same = t.rank == rank;
    for (int i = 0; same && i < rank; ++i) same = t.shape[i] == want[i];
    if (!same)
        kn_set_error("%s: argument '%s': expected shape %s, got %s", op, name, shape_string(want, rank).c_str(),
                     shape_string(t).c_str());
    return same;
}

bool check_same_dtype(const char *op, const char *name, const kn_tensor &t, const kn_tensor &ref) {
    if (t.data != nullptr && t.dtype != ref.dtype) {
        kn_set_error("%s: argument '%s': expected dtype %s (that of q), got %s", op, name, dtype_name(ref.dtype),
                     dtype_name(t.dtype));
        return false;
    }
    return true;
}

bool check_disjoint(const char *op, const char *out_name, const kn_tensor &out, const char *in_name,
                    const kn_tensor &in) {
    if (out.data == nullptr || in.data == nullptr) return true;
    const auto a0 = reinterpret_cast<uintptr_t>(out.data), b0 = reinterpret_cast<uintptr_t>(in.data);
    const auto a1 = a0 + uintptr_t(kn_tensor_bytes(&out)), b1 = b0 + uintptr_t(kn_tensor_bytes(&in));
    if (a0 < b1 && b0 < a1) {
        kn_set_error("%s: argument '%s': expected memory disjoint from '%s', got overlapping ranges", op, out_name,
                     in_name);
        return false;
    }
    return true;
}

}  // namespace

int32_t kn_validate_temporal_attention(const kn_temporal_attention_params *p) {
    const char *op = "kn_temporal_attention";
    if (p == nullptr) {
        kn_set_error("%s: argument 'params': expected a pointer, got NULL", op);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_tensor(op, "q", p->q, 5) || !check_tensor(op, "k", p->k, 5) || !check_tensor(op, "v", p->v, 5) ||
        (p->rel_bias.data != nullptr && !check_tensor(op, "rel_bias", p->rel_bias, 2)) ||
        !check_tensor(op, "y", p->y, 5))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_same_dtype(op, "k", p->k, p->q) || !check_same_dtype(op, "v", p->v, p->q) ||
        !check_same_dtype(op, "rel_bias", p->rel_bias, p->q) || !check_same_dtype(op, "y", p->y, p->q))
        return KN_ERR_INVALID_ARGUMENT;
    if (!check_shape(op, "k", p->k, p->q.shape, 5) || !check_shape(op, "v", p->v, p->q.shape, 5) ||
        !check_shape(op, "y", p->y, p->q.shape, 5))
        return KN_ERR_INVALID_ARGUMENT;
    const int64_t frames = p->q.shape[1], channels = p->q.shape[4];
    if (p->heads < 1 || channels % p->heads != 0 || channels / p->heads < 1) {
        kn_set_error("%s: attribute 'heads': expected >= 1 dividing the channel count %lld (q.shape[4]) with "
                     "D >= 1, got %d",
                     op, (long long)channels, p->heads);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (!std::isfinite(p->scale)) {
        kn_set_error("%s: attribute 'scale': expected a finite number, got %g", op, p->scale);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->window < 0) {
        kn_set_error("%s: attribute 'window': expected >= 0 (0 = all frames), got %d", op, p->window);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->causal != 0 && p->causal != 1) {
        kn_set_error("%s: attribute 'causal': expected 0 or 1, got %d", op, p->causal);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->Tmax < frames || p->Tmax < 1 || p->Tmax > kMaxFrames) {
        kn_set_error("%s: attribute 'Tmax': expected T (%lld) <= Tmax <= %lld and Tmax >= 1, got %d", op,
                     (long long)frames, (long long)kMaxFrames, p->Tmax);
        return KN_ERR_INVALID_ARGUMENT;
    }
    if (p->rel_bias.data != nullptr) {
        const int64_t want[2] = {p->heads, 2 * int64_t(p->Tmax) - 1};
        if (!check_shape(op, "rel_bias", p->rel_bias, want, 2)) return KN_ERR_INVALID_ARGUMENT;
    }
    if (!check_disjoint(op, "y", p->y, "q", p->q) || !check_disjoint(op, "y", p->y, "k", p->k) ||
        !check_disjoint(op, "y", p->y, "v", p->v) || !check_disjoint(op, "y", p->y, "rel_bias", p->rel_bias))
        return KN_ERR_INVALID_ARGUMENT;
    return KN_OK;
}
