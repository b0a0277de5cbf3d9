from .errors import WganError
from .config import Config
from .handle import load_generator
__version__ = "0.1.0"
