"""Learning record store clients."""
