// The one way the cpu kernels open an OpenMP parallel region.
#pragma once

namespace kinema::cpu {

// Runs body on `threads` threads: inside an OpenMP parallel region when threads > 1, else directly on
// the calling thread. body may hold orphaned `#pragma omp for` loops; they bind to the region, or run
// whole on the caller. Why not `#pragma omp parallel ... if (...)`: libgomp allocates a new thread team
// whenever a region's size differs from the previous region's, so a step that mixes one-thread regions
// (small ops) with two-thread ones would allocate on every op; a direct call makes no region at all.
template <class Body>
void parallel_region(int threads, Body &&body) {
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
        body();
    } else {
        body();
    }
}

}  // namespace kinema::cpu
