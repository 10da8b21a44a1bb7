"""A small backpropagation network written from scratch, as a student would write one."""

from student_net.network import StudentNetwork, wide_network

__all__ = ["StudentNetwork", "wide_network"]
__version__ = "0.1.0"
