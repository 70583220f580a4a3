import SkelMath
