def test_delegate_reads_the_demo_platform(client, auth, demo):
    response = auth.login("delegate1@example.org", "solidarity")
    assert response.status_code == 302
    home = client.get("/m/founding-meeting/")
    assert home.status_code == 200
    assert "Draft platform" in home.get_data(as_text=True)
    page = client.get("/documents/1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "For social justice and economic democracy" in html
    assert '<span class="number"' in html
