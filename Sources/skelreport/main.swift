print("skelreport")
