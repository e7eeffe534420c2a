"""Every exercise solved as in the instructor's solution.

base: solution
"""
