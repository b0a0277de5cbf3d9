from .errors import WganError
from .config import Config
__version__ = "0.1.0"
