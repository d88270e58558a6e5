// Per-host-thread error state, as in the CUDA runtime: the last error code (cleared by
// cudaGetLastError) and a detailed message that stays until the thread's next error. Launch
// failures are not sticky: the process keeps working after a failed launch.
#include <string>

#include "runtime_internal.h"

namespace kn_emu::rt {

namespace {
struct ErrorState {
    cudaError_t last = cudaSuccess;
    cudaError_t message_code = cudaSuccess;
    std::string message;
};
ErrorState &error_state() {
    static thread_local ErrorState state;
    return state;
}
}  // namespace

void record_error(cudaError_t code, const std::string &message) {
    ErrorState &s = error_state();
    s.last = code;
    s.message_code = code;
    s.message = std::string(kn_emu_get_error_string_static(code)) + ": " + message;
}

}  // namespace kn_emu::rt

using namespace kn_emu::rt;

extern "C" const char *kn_emu_get_error_name(cudaError_t e) {
    switch (e) {
#define KN_EMU_NAME(code) \
    case code: return #code;
        KN_EMU_NAME(cudaSuccess)
        KN_EMU_NAME(cudaErrorInvalidValue)
        KN_EMU_NAME(cudaErrorMemoryAllocation)
        KN_EMU_NAME(cudaErrorInitializationError)
        KN_EMU_NAME(cudaErrorInvalidConfiguration)
        KN_EMU_NAME(cudaErrorInvalidSymbol)
        KN_EMU_NAME(cudaErrorInvalidDevicePointer)
        KN_EMU_NAME(cudaErrorInvalidMemcpyDirection)
        KN_EMU_NAME(cudaErrorInvalidDeviceFunction)
        KN_EMU_NAME(cudaErrorNoDevice)
        KN_EMU_NAME(cudaErrorInvalidDevice)
        KN_EMU_NAME(cudaErrorInvalidResourceHandle)
        KN_EMU_NAME(cudaErrorIllegalState)
        KN_EMU_NAME(cudaErrorNotReady)
        KN_EMU_NAME(cudaErrorIllegalAddress)
        KN_EMU_NAME(cudaErrorLaunchOutOfResources)
        KN_EMU_NAME(cudaErrorLaunchTimeout)
        KN_EMU_NAME(cudaErrorAssert)
        KN_EMU_NAME(cudaErrorIllegalInstruction)
        KN_EMU_NAME(cudaErrorLaunchFailure)
        KN_EMU_NAME(cudaErrorNotSupported)
        KN_EMU_NAME(cudaErrorStreamCaptureUnsupported)
        KN_EMU_NAME(cudaErrorStreamCaptureInvalidated)
        KN_EMU_NAME(cudaErrorStreamCaptureWrongThread)
        KN_EMU_NAME(cudaErrorUnknown)
#undef KN_EMU_NAME
    }
    return "unrecognized error code";
}

extern "C" const char *kn_emu_get_error_string_static(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "no error";
        case cudaErrorInvalidValue: return "invalid argument";
        case cudaErrorMemoryAllocation: return "out of memory";
        case cudaErrorInitializationError: return "initialization error";
        case cudaErrorInvalidConfiguration: return "invalid configuration argument";
        case cudaErrorInvalidSymbol: return "invalid device symbol";
        case cudaErrorInvalidDevicePointer: return "invalid device pointer";
        case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
        case cudaErrorInvalidDeviceFunction: return "invalid device function";
        case cudaErrorNoDevice: return "no CUDA-capable device is detected";
        case cudaErrorInvalidDevice: return "invalid device ordinal";
        case cudaErrorInvalidResourceHandle: return "invalid resource handle";
        case cudaErrorIllegalState: return "the resource is not in a valid state to perform the requested operation";
        case cudaErrorNotReady: return "device not ready";
        case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
        case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
        case cudaErrorLaunchTimeout: return "the launch timed out and was terminated";
        case cudaErrorAssert: return "device-side assert triggered";
        case cudaErrorIllegalInstruction: return "an illegal instruction was encountered";
        case cudaErrorLaunchFailure: return "unspecified launch failure";
        case cudaErrorNotSupported: return "operation not supported";
        case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
        case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
        case cudaErrorStreamCaptureWrongThread: return "attempt to terminate a thread-local capture sequence from another thread";
        case cudaErrorUnknown: return "unknown error";
    }
    return "unrecognized error code";
}

extern "C" const char *kn_emu_get_error_string(cudaError_t e) {
    const auto &s = error_state();
    if (e != cudaSuccess && e == s.message_code && !s.message.empty()) return s.message.c_str();
    return kn_emu_get_error_string_static(e);
}

extern "C" cudaError_t kn_emu_get_last_error(void) {
    ErrorState &s = error_state();
    const cudaError_t e = s.last;
    s.last = cudaSuccess;
    return e;
}

extern "C" cudaError_t kn_emu_peek_at_last_error(void) { return error_state().last; }

extern "C" const char *kn_emu_last_error_message(void) { return error_state().message.c_str(); }

extern "C" void kn_emu_record_error(cudaError_t code, const char *message) {
    record_error(code, message != nullptr ? message : "");
}
