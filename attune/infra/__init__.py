"""Small pieces shared by both deployables (the engine and the gateway) that belong to
neither: each module here imports no ``engine.*`` and no ``gateway.*``."""
