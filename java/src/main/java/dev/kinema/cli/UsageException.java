package dev.kinema.cli;

/** A command line the CLI cannot act on; reported as one line on stderr with exit code 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
