// broadcast.h - the one rule for the z operand of the binary elementwise ops (kinema.h kn_elementwise),
// shared by the ABI validation, the cpu backend and the kernels/ entries so that all agree on it.
//
// z NumPy-broadcasts to x with one run of broadcast dims: z's shape, padded with leading 1s to x's
// rank, is [x's leading dims, 1s, x's trailing dims]. x is then viewed as [outer, middle, inner]
// (the products of those three parts of x's shape) and x element i pairs with z element
// (i / (middle*inner)) * inner + i % inner. The trailing-dims operand (z's shape a suffix of x's) is
// outer = 1; z of x's shape is middle = 1, outer = 1.
#pragma once

#include <stdint.h>

#include "kinema.h"

typedef struct kn_broadcast {
    int64_t outer, middle, inner;
} kn_broadcast;

// Fills *out and returns 1 when z broadcasts to x by the rule above; returns 0 otherwise (including
// z of higher rank than x). Shapes only: ranks must already be in 0..KN_MAX_RANK.
static inline int kn_broadcast_split(const kn_tensor *x, const kn_tensor *z, kn_broadcast *out) {
    const int r = x->rank, pad = x->rank - z->rank;
    if (pad < 0) return 0;
    // z's padded dim d: 1 for d < pad, else z->shape[d - pad].
#define KN_ZDIM(d) ((d) < pad ? (int64_t)1 : z->shape[(d) - pad])
    int b = r; /* inner = x[b..r): the longest suffix where z matches x */
    while (b > 0 && KN_ZDIM(b - 1) == x->shape[b - 1]) --b;
    int a = 0; /* outer = x[0..a): the longest prefix where z matches x, ending at b at most */
    while (a < b && KN_ZDIM(a) == x->shape[a]) ++a;
    int ok = 1;
    for (int d = a; d < b; ++d) ok = ok && KN_ZDIM(d) == 1;
#undef KN_ZDIM
    if (!ok) return 0;
    out->outer = 1;
    out->middle = 1;
    out->inner = 1;
    for (int d = 0; d < r; ++d) {
        if (d < a)
            out->outer *= x->shape[d];
        else if (d < b)
            out->middle *= x->shape[d];
        else
            out->inner *= x->shape[d];
    }
    return 1;
}
