"""What only reads a trained generator: export, latent walks, videos, reports."""
