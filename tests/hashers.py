from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Real Argon2 (same algorithm and hash format) at a cost fit for hundreds of test logins."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
